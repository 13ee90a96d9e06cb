namespace Bazaar.Server.Payments;

/// <summary>What the bot tells a user about their payments, in English and Russian.</summary>
public sealed record PaymentTexts(
    string Credited, string Rejected, string CryptoSeen, string CryptoCredited, string Refunded,
    string NotPending, string PriceChanged, string Unavailable, string ManualInstructionsTitle)
{
    public static readonly PaymentTexts En = new(
        Credited: "✅ {0} has been added to your wallet.",
        Rejected: "❌ Your deposit {0} was rejected: {1}",
        CryptoSeen: "👀 We see your payment of {0} (transaction {1}). It will be credited after {2} confirmation(s).",
        CryptoCredited: "✅ Your payment of {0} is confirmed: {1} has been added to your wallet.",
        Refunded: "↩️ Your payment of {0} has been refunded.",
        NotPending: "This invoice is no longer valid. Please start again.",
        PriceChanged: "The price has changed. Please request a new invoice.",
        Unavailable: "This item is no longer available.",
        ManualInstructionsTitle: "Reference code: <code>{0}</code>\nAmount: {1}");

    public static readonly PaymentTexts Ru = new(
        Credited: "✅ {0} зачислено на ваш кошелёк.",
        Rejected: "❌ Ваше пополнение {0} отклонено: {1}",
        CryptoSeen: "👀 Мы видим ваш платёж {0} (транзакция {1}). Он будет зачислен после {2} подтверждения(ий).",
        CryptoCredited: "✅ Платёж {0} подтверждён: {1} зачислено на ваш кошелёк.",
        Refunded: "↩️ Ваш платёж {0} возвращён.",
        NotPending: "Этот счёт больше не действителен. Пожалуйста, начните заново.",
        PriceChanged: "Цена изменилась. Пожалуйста, запросите новый счёт.",
        Unavailable: "Этот товар больше недоступен.",
        ManualInstructionsTitle: "Код платежа: <code>{0}</code>\nСумма: {1}");

    public static PaymentTexts For(string? languageCode) =>
        languageCode is not null && languageCode.StartsWith("ru", StringComparison.OrdinalIgnoreCase) ? Ru : En;
}
