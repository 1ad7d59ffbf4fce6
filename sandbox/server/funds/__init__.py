"""The fund chain (下达 → 到位 → 备案 → 报账 → 支付) per region and year."""
