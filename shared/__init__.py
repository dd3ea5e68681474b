"""Mechanisms shared by the three Đồng Hành services: never a service's business rules."""
