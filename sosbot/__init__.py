"""sosbot: emergency-report intake over Zalo, Telegram and Facebook Messenger."""
