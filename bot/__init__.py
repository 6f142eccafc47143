from bot import aiogram_lazy

aiogram_lazy.install()  # before any module of the bot imports aiogram
