"""Public QR pages (/q/<slug>): a household's 明白卡, a project's 信息榜, the complaint form; HTML, no token."""
