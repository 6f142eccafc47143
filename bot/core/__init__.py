"""The conversation engine: decides what to say and do; knows neither Telegram nor the database."""
