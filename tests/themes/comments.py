"""Comments the themes tests share: two plain themes of a checkout and a phone line, and a few
in other languages."""

FREE_SHIPPING = [
    "The free shipping code did not work at checkout",
    "Free shipping code was rejected, I paid for delivery anyway",
    "Your free shipping code says invalid",
    "Entered the free shipping code twice and still got charged shipping",
    "The free shipping code from the newsletter failed",
    "Why was the free shipping code not accepted?",
    "Free shipping code expired before the date in the email",
    "Shipping was charged even with the free shipping code",
    "Could not apply the free shipping code on my phone",
    "The free shipping code only worked the second time",
    "Free shipping code ignored at the payment step",
    "Please fix the free shipping code, it is broken",
]
HOLD_TIME = [
    "I was on hold for forty minutes",
    "The hold time on the phone line is far too long",
    "Waited on hold for ages before anyone answered",
    "Hold time was over half an hour",
    "Stuck on hold again, the hold music is awful",
    "Long hold time just to ask one question",
    "On hold for an hour, then the call dropped",
    "The hold time is ridiculous, hire more people",
    "I hung up after twenty minutes on hold",
    "Hold time at lunch is terrible",
    "Put on hold three times in one call",
    "Too much time on hold, otherwise fine",
]
ELSEWHERE = [
    ("Der Gutscheincode für kostenlosen Versand funktioniert nicht", "de"),
    ("Ich habe vierzig Minuten in der Warteschleife gehangen", "de"),
    ("Die Wartezeit am Telefon ist viel zu lang", "de"),
    ("El código de envío gratis no funciona", "es"),
    ("Le code de livraison gratuite ne marche pas", "fr"),
    ("送料無料のコードが使えませんでした", "ja"),
    ("電話の保留時間が長すぎます", "ja"),
    ("👍👍", None),
    ("😡😡😡 📦", None),
]
