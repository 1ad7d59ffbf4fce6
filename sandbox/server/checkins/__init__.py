"""Cadre check-ins (工作签到)."""
