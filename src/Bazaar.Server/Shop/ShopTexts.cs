using Bazaar.Server.Conversations;

namespace Bazaar.Server.Shop;

/// <summary>The shop's bot texts in English and Russian (HTML; placeholders are filled with encoded values).</summary>
public static class ShopTexts
{
    public static readonly Localized ShopCommand = new("The shop: browse and buy", "Магазин: каталог и покупки");
    public static readonly Localized OrdersCommand = new("Your orders and deliveries", "Ваши заказы и доставки");
    public static readonly Localized ShopButton = new("🛍 Shop", "🛍 Магазин");

    public static readonly Localized ChooseCity = new("🛍 <b>Shop</b>\nChoose a city:", "🛍 <b>Магазин</b>\nВыберите город:");
    public static readonly Localized ChooseDistrict = new("📍 <b>{0}</b>\nChoose a district:", "📍 <b>{0}</b>\nВыберите район:");
    public static readonly Localized ChooseCategory = new("🛍 Choose a category:", "🛍 Выберите категорию:");
    public static readonly Localized AllCategories = new("All goods", "Все товары");
    public static readonly Localized ProductList = new("🛍 <b>{0}</b> · page {1}/{2}\nChoose a product:", "🛍 <b>{0}</b> · стр. {1}/{2}\nВыберите товар:");
    public static readonly Localized NoProducts = new("Nothing here yet. Try another category or location.", "Здесь пока ничего нет. Попробуйте другую категорию или район.");
    public static readonly Localized Back = new("« Back", "« Назад");
    public static readonly Localized Prev = new("‹ Prev", "‹ Назад");
    public static readonly Localized Next = new("Next ›", "Далее ›");
    public static readonly Localized Buy = new("🛒 Buy", "🛒 Купить");
    public static readonly Localized InStock = new("In stock: {0}", "В наличии: {0}");
    public static readonly Localized SoldOut = new("❌ Sold out", "❌ Распродано");
    public static readonly Localized SoldOutTag = new("sold out", "нет в наличии");
    public static readonly Localized Unlimited = new("Available", "Доступно");
    public static readonly Localized Days = new("Access for {0} days", "Доступ на {0} дн.");
    public static readonly Localized CreditsLine = new("{0} credits for paid checks", "{0} кредитов для платных чеков");

    public static readonly Localized Reserved = new(
        "⏳ <b>{0}</b> is reserved for you for <b>{1} min</b> (until {2} UTC).\nPrice: {3}\n\nPay from your wallet (balance {4}) or with another method.",
        "⏳ <b>{0}</b> забронирован за вами на <b>{1} мин</b> (до {2} UTC).\nЦена: {3}\n\nОплатите из кошелька (баланс {4}) или другим способом.");
    public static readonly Localized Confirm = new("✅ Confirm · pay {0}", "✅ Подтвердить · оплатить {0}");
    public static readonly Localized PayStars = new("⭐ Pay {0} Stars", "⭐ Оплатить {0} Stars");
    public static readonly Localized PayCard = new("💳 Pay by card", "💳 Оплатить картой");
    public static readonly Localized Cancel = new("✖ Cancel reservation", "✖ Отменить бронь");
    public static readonly Localized Cancelled = new("Reservation cancelled. The item is back on sale.", "Бронь отменена. Товар снова в продаже.");
    public static readonly Localized JustSold = new("😔 Sorry, this was just sold. You were not charged.", "😔 Извините, этот товар только что купили. Деньги не списаны.");
    public static readonly Localized Expired = new("⌛ Your reservation has expired. Press Buy again to get a new one.", "⌛ Бронь истекла. Нажмите «Купить» ещё раз.");
    public static readonly Localized TooMany = new("You already hold {0} reservations. Confirm or cancel one first.", "У вас уже {0} брони. Сначала подтвердите или отмените одну.");
    public static readonly Localized NotFound = new("This product is no longer available.", "Этот товар больше не доступен.");
    public static readonly Localized Insufficient = new(
        "💸 Not enough money in your wallet: the price is {0}, your balance is {1}.\nTop up and press Confirm again: your reservation holds until {2} UTC.",
        "💸 В кошельке недостаточно средств: цена {0}, баланс {1}.\nПополните и нажмите «Подтвердить» снова: бронь действует до {2} UTC.");
    public static readonly Localized TopUp = new("➕ Top up wallet", "➕ Пополнить кошелёк");
    public static readonly Localized AlreadyBought = new("This reservation is already paid: order #{0}.", "Эта бронь уже оплачена: заказ №{0}.");
    public static readonly Localized StarsInvoiceSent = new("⭐ The invoice is below. The quote holds until {0} UTC.", "⭐ Счёт ниже. Цена действует до {0} UTC.");
    public static readonly Localized CardLinkComing = new("💳 Preparing your payment link…", "💳 Готовим ссылку на оплату…");

    public static readonly Localized OrderPaid = new("✅ <b>Order #{0}</b> paid: {1}, {2}.", "✅ <b>Заказ №{0}</b> оплачен: {1}, {2}.");
    public static readonly Localized DeliveryItem = new("📦 <b>Your item</b>\n{0}", "📦 <b>Ваш товар</b>\n{0}");
    public static readonly Localized DeliveryAddress = new("📍 {0}", "📍 {0}");
    public static readonly Localized DeliveryKey = new("🔑 Your key: <code>{0}</code>", "🔑 Ваш ключ: <code>{0}</code>");
    public static readonly Localized DeliveryFile = new("📎 Your file", "📎 Ваш файл");
    public static readonly Localized DeliverySubscription = new("🎟 <b>{0}</b> is active until {1} UTC.", "🎟 <b>{0}</b> активна до {1} UTC.");
    public static readonly Localized DeliveryInvite = new("🔗 Your personal invite link (one use): {0}", "🔗 Ваша личная ссылка-приглашение (одноразовая): {0}");
    public static readonly Localized DeliveryCredits = new("🎫 {0} credits added.", "🎫 Начислено кредитов: {0}.");
    public static readonly Localized KeptInWallet = new(
        "Your payment of {0} arrived after the reservation ended and the item was sold out, so the money is in your wallet. Use it for another purchase.",
        "Оплата {0} пришла после окончания брони, а товар уже распродан, поэтому деньги зачислены в кошелёк. Их можно потратить на другую покупку.");

    public static readonly Localized Underpaid = new(
        "💸 Your payment brought {0}, short of the price {1} by {2}. The money is in your wallet (balance {3}): top up the difference and press Confirm before {4} UTC, while the reservation holds.",
        "💸 Ваш платёж принёс {0}, это на {2} меньше цены {1}. Деньги на кошельке (баланс {3}): пополните разницу и нажмите «Подтвердить» до {4} UTC, пока действует бронь.");
    public static readonly Localized UnderpaidKept = new(
        "💸 Your payment brought {0}, less than the price {1}, and the reservation has ended, so the money is in your wallet. Use it for another purchase.",
        "💸 Ваш платёж принёс {0}, меньше цены {1}, а бронь закончилась, поэтому деньги зачислены в кошелёк. Их можно потратить на другую покупку.");
    public static readonly Localized Overpaid = new("ℹ️ You paid {0} more than the price; the extra is in your wallet.", "ℹ️ Вы заплатили на {0} больше цены; излишек зачислен в кошелёк.");
    public static readonly Localized ExtraPayment = new(
        "ℹ️ Another {0} arrived for a reservation that is already paid (order #{1}); it is in your wallet.",
        "ℹ️ Ещё {0} пришло за уже оплаченную бронь (заказ №{1}); деньги зачислены в кошелёк.");
    public static readonly Localized PayCrypto = new("🪙 Pay with {0}", "🪙 Оплатить в {0}");
    public static readonly Localized CryptoAddressComing = new("🪙 Preparing your {0} address; the rate is held until {1} UTC…", "🪙 Готовим адрес {0}; курс действует до {1} UTC…");

    public static readonly Localized OrdersTitle = new("🧾 <b>Your orders</b>", "🧾 <b>Ваши заказы</b>");
    public static readonly Localized NoOrders = new("No orders yet. Open /shop to buy something.", "Заказов пока нет. Откройте /shop.");
    public static readonly Localized ShowDelivery = new("📦 #{0} {1}", "📦 №{0} {1}");

    public static readonly Localized RenewalNotice = new("⏰ <b>{0}</b> ends on {1} UTC. Renew to keep access.", "⏰ <b>{0}</b> заканчивается {1} UTC. Продлите, чтобы сохранить доступ.");
    public static readonly Localized Renew = new("🔄 Renew", "🔄 Продлить");
    public static readonly Localized SubscriptionEnded = new("Your <b>{0}</b> has ended, so access was removed. You can buy it again any time.", "Подписка <b>{0}</b> закончилась, доступ закрыт. Её можно купить снова в любой момент.");
    public static readonly Localized NeedsSubscription = new("🔒 This needs an active <b>{0}</b>.", "🔒 Для этого нужна активная подписка <b>{0}</b>.");
    public static readonly Localized VipCommand = new("Members' corner (subscribers)", "Клуб (для подписчиков)");
    public static readonly Localized VipWelcome = new("🌟 Welcome to the members' corner! Your access runs until {0} UTC.", "🌟 Добро пожаловать в клуб! Доступ до {0} UTC.");

    // Admins
    public static readonly Localized InventoryTitle = new("📦 <b>Inventory</b> (free / sold)", "📦 <b>Склад</b> (свободно / продано)");
    public static readonly Localized AddUnits = new("Send the keys for <b>{0}</b>, one per line (or item descriptions for a unique item).", "Отправьте ключи для <b>{0}</b>, по одному в строке (или описания для уникального товара).");
    public static readonly Localized UnitsAdded = new("Added {0} unit(s) to <b>{1}</b>. Free now: {2}.", "Добавлено единиц: {0} для <b>{1}</b>. Свободно: {2}.");
    public static readonly Localized NoStockKind = new("<b>{0}</b> has no stock limit.", "У <b>{0}</b> нет ограничения по количеству.");
    public static readonly Localized PickForDiscount = new("🏷 Pick a product to discount:", "🏷 Выберите товар для скидки:");
    public static readonly Localized EnterPercent = new("Send the discount for <b>{0}</b> in percent (0 to 90; 0 removes it).", "Отправьте скидку для <b>{0}</b> в процентах (от 0 до 90; 0 убирает её).");
    public static readonly Localized BadPercent = new("Please send a whole number from 0 to 90.", "Отправьте целое число от 0 до 90.");
    public static readonly Localized DiscountSet = new("<b>{0}</b> now costs {1} (-{2}%).", "<b>{0}</b> теперь стоит {1} (-{2}%).");
    public static readonly Localized NothingSent = new("Please send at least one line.", "Отправьте хотя бы одну строку.");
}
