using Bazaar.Server.Conversations;

namespace Bazaar.Server.Payments;

/// <summary>What the bot tells a user about their payments, in English and Russian (each text rewordable in Settings).</summary>
public static class PaymentTexts
{
    public static readonly Localized Credited = new("✅ {0} has been added to your wallet.", "✅ {0} зачислено на ваш кошелёк.");
    public static readonly Localized Rejected = new("❌ Your deposit {0} was rejected: {1}", "❌ Ваше пополнение {0} отклонено: {1}");
    public static readonly Localized CryptoSeen = new(
        "👀 We see your payment of {0} (transaction {1}). It will be credited after {2} confirmation(s).",
        "👀 Мы видим ваш платёж {0} (транзакция {1}). Он будет зачислен после {2} подтверждения(ий).");
    public static readonly Localized CryptoLate = new(
        "⌛ It arrived after the quoted rate ended ({0:yyyy-MM-dd HH:mm} UTC), so it is valued at the current rate: {1}.",
        "⌛ Он пришёл после окончания зафиксированного курса ({0:yyyy-MM-dd HH:mm} UTC), поэтому оценён по текущему курсу: {1}.");
    public static readonly Localized CryptoCredited = new(
        "✅ Your payment of {0} is confirmed: {1} has been added to your wallet.",
        "✅ Платёж {0} подтверждён: {1} зачислено на ваш кошелёк.");
    public static readonly Localized Refunded = new("↩️ Your payment of {0} has been refunded.", "↩️ Ваш платёж {0} возвращён.");
    public static readonly Localized NotPending = new("This invoice is no longer valid. Please start again.",
        "Этот счёт больше не действителен. Пожалуйста, начните заново.");
    public static readonly Localized PriceChanged = new("The price has changed. Please request a new invoice.",
        "Цена изменилась. Пожалуйста, запросите новый счёт.");
    public static readonly Localized Unavailable = new("This item is no longer available.", "Этот товар больше недоступен.");
    public static readonly Localized ManualInstructionsTitle = new("Reference code: <code>{0}</code>\nAmount: {1}",
        "Код платежа: <code>{0}</code>\nСумма: {1}");

    // The deposit conversation in the bot. {n} placeholders are filled with string.Format; values are HTML-encoded.
    public static readonly Localized MethodUnavailable = new("This deposit method is not available at the moment.", "Этот способ пополнения сейчас недоступен.");
    public static readonly Localized EnterAmount = new(
        "{0}: how much would you like to deposit? Send the amount in {1}, for example <code>25</code> or <code>12.50</code>. /cancel to stop.",
        "{0}: на какую сумму пополнить? Отправьте сумму в {1}, например <code>25</code> или <code>12.50</code>. /cancel — отменить.");
    public static readonly Localized BadAmount = new(
        "I couldn't read that as an amount. Please send just a number in {0} between {1} and {2}, with at most {3} decimals, for example <code>25</code> or <code>12.50</code>.",
        "Не удалось распознать сумму. Отправьте только число в {0} от {1} до {2}, не более {3} знаков после точки, например <code>25</code> или <code>12.50</code>.");
    public static readonly Localized TryLater = new("Deposits by this method are unavailable right now. Please try again later or choose another method.",
        "Пополнение этим способом сейчас недоступно. Попробуйте позже или выберите другой способ.");
    public static readonly Localized SendProof = new(
        "When you have paid, send a photo or a document (screenshot, PDF) of the transfer confirmation here.",
        "После оплаты отправьте сюда фото или документ (скриншот, PDF) с подтверждением перевода.");
    public static readonly Localized ProofExpected = new(
        "Please send a photo or a document of the transfer confirmation for {0}, or /cancel.",
        "Пожалуйста, отправьте фото или документ с подтверждением перевода для {0} или /cancel.");
    public static readonly Localized ProofReceived = new(
        "📨 Thank you! We received your confirmation for {0} ({1}). An operator will check it and you will get a message when the money is in your wallet.",
        "📨 Спасибо! Мы получили подтверждение для {0} ({1}). Оператор проверит его, и вы получите сообщение, когда деньги поступят на кошелёк.");
    public static readonly Localized ProofTooLate = new("This deposit is no longer waiting for a confirmation.", "Это пополнение больше не ожидает подтверждения.");
    public static readonly Localized CryptoInstructions = new(
        "Send exactly <b>{0}</b> ({1}) to this {2} address:\n<code>{3}</code>\n\nThe rate is fixed until {4:yyyy-MM-dd HH:mm} UTC. Your wallet is credited after the network confirms the payment; you will get a message.",
        "Отправьте ровно <b>{0}</b> ({1}) на этот адрес {2}:\n<code>{3}</code>\n\nКурс зафиксирован до {4:yyyy-MM-dd HH:mm} UTC. Кошелёк будет пополнен после подтверждения сетью; вы получите сообщение.");
    public static readonly Localized CryptoOrderInstructions = new(
        "Send exactly <b>{0}</b> ({1}) to this {2} address:\n<code>{3}</code>\n\nThe rate is held with your reservation until {4:yyyy-MM-dd HH:mm} UTC. The order is completed after the network confirms the payment; you will get a message. Less than the amount goes to your wallet; more, and the extra goes to your wallet. A payment seen after that time is valued at the rate then.",
        "Отправьте ровно <b>{0}</b> ({1}) на этот адрес {2}:\n<code>{3}</code>\n\nКурс зафиксирован вместе с бронью до {4:yyyy-MM-dd HH:mm} UTC. Заказ будет оформлен после подтверждения сетью; вы получите сообщение. Если придёт меньше суммы, деньги зачислятся на кошелёк; если больше, излишек зачислится на кошелёк. Платёж, замеченный позже, оценивается по курсу на тот момент.");
    public static readonly Localized OrderPreparationFailed = new(
        "😕 We couldn't prepare your {0} payment of {1} (the reservation may have ended), and nothing was charged. Open /shop to reserve again or pay another way.",
        "😕 Не удалось подготовить платёж {0} на {1} (возможно, бронь закончилась); ничего не списано. Откройте /shop, чтобы забронировать снова или оплатить иначе.");
    public static readonly Localized QrCaption = new("Scan to pay {0}", "Отсканируйте, чтобы оплатить {0}");
    public static readonly Localized StarsTitle = new("Wallet top-up", "Пополнение кошелька");
    public static readonly Localized StarsDescription = new("{0} to your wallet for {1} Telegram Stars", "{0} на ваш кошелёк за {1} Telegram Stars");
    public static readonly Localized PayByLink = new("Top-up of <b>{0}</b>: press the button to pay securely by {1}. Your wallet is credited as soon as the payment is confirmed.",
        "Пополнение на <b>{0}</b>: нажмите кнопку, чтобы безопасно оплатить через {1}. Кошелёк пополнится сразу после подтверждения оплаты.");
    public static readonly Localized PayButton = new("💳 Pay {0}", "💳 Оплатить {0}");
    public static readonly Localized Preparing = new("⏳ Preparing your payment of {0}…", "⏳ Готовим ваш платёж на {0}…");
    public static readonly Localized PreparationFailed = new(
        "😕 We couldn't prepare your {0} payment of {1} right now, and nothing was charged. Please try again in a few minutes, or choose another method: /wallet → ➕ Deposit.",
        "😕 Сейчас не удалось подготовить платёж {0} на {1}; ничего не списано. Попробуйте через несколько минут или выберите другой способ: /wallet → ➕ Пополнить.");

    // Operators (Admin:TelegramIds) in the bot.
    public static readonly Localized DepositsCommand = new("Pending manual deposits (operators)", "Ожидающие ручные пополнения (операторы)");
    public static readonly Localized OperatorsOnly = new("Sorry, this is only for the shop's operators.", "Извините, это только для операторов магазина.");
    public static readonly Localized AdminNewDeposit = new(
        "🧾 New manual deposit #{0}\n{1} · {2} · {3}\nFrom: {4}\nProof: {5}",
        "🧾 Новое ручное пополнение #{0}\n{1} · {2} · {3}\nОт: {4}\nПодтверждение: {5}");
    public static readonly Localized NoPendingDeposits = new("There are no pending manual deposits.", "Нет ожидающих ручных пополнений.");
    public static readonly Localized PendingDepositsTitle = new("🧾 <b>Pending manual deposits</b> ({0}):", "🧾 <b>Ожидающие ручные пополнения</b> ({0}):");
    public static readonly Localized PendingDepositLine = new("#{0} · {1} · {2} · {3} · {4} · proof: {5}", "#{0} · {1} · {2} · {3} · {4} · подтверждение: {5}");
    public static readonly Localized ProofYes = new("yes", "есть");
    public static readonly Localized ProofNo = new("not yet", "пока нет");
    public static readonly Localized ApproveButton = new("✅ Approve #{0}", "✅ Принять #{0}");
    public static readonly Localized RejectButton = new("❌ Reject #{0}", "❌ Отклонить #{0}");
    public static readonly Localized Approved = new("✅ Deposit #{0} ({1}) approved: {2} credited to {3}.", "✅ Пополнение #{0} ({1}) принято: {2} зачислено пользователю {3}.");
    public static readonly Localized ApprovedToast = new("Approved", "Принято");
    public static readonly Localized AlreadyDecided = new("Deposit #{0} is no longer pending ({1}).", "Пополнение #{0} больше не ожидает решения ({1}).");
    public static readonly Localized DepositNotFound = new("There is no manual deposit #{0}.", "Ручного пополнения #{0} нет.");
    public static readonly Localized AskRejectReason = new("Why is deposit #{0} ({1}, {2}) rejected? Send the reason; the user will see it. /cancel to keep it pending.",
        "Почему пополнение #{0} ({1}, {2}) отклонено? Отправьте причину — пользователь её увидит. /cancel — оставить без решения.");
    public static readonly Localized RejectReasonExpected = new("Please send the reason as text (1 to 500 characters), or /cancel.", "Отправьте причину текстом (от 1 до 500 символов) или /cancel.");
    public static readonly Localized RejectedByAdmin = new("❌ Deposit #{0} ({1}) rejected. The user was told: {2}", "❌ Пополнение #{0} ({1}) отклонено. Пользователю сообщено: {2}");
}
