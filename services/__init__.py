"""The three Đồng Hành services."""
