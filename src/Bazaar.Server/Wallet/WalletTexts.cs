using Bazaar.Server.Conversations;

namespace Bazaar.Server.Wallet;

/// <summary>The wallet's bot texts in English and Russian.</summary>
public sealed record WalletTexts(
    string WalletTitle, string Balance, string NoMoney, string RecentMovements, string NoMovements,
    string DepositButton, string ChooseMethod, string Back, string NoMethods,
    string MethodManualBank, string MethodManualBlik, string MethodBtc, string MethodLtc, string MethodStars,
    string MethodStripe, string MethodRobokassa, string BalanceTitle)
{
    public static readonly WalletTexts En = new(
        WalletTitle: "👛 <b>Your wallet</b>",
        Balance: "Balance",
        NoMoney: "Your wallet is empty.",
        RecentMovements: "Recent movements",
        NoMovements: "No movements yet.",
        DepositButton: "➕ Deposit",
        ChooseMethod: "How would you like to top up your wallet?",
        Back: "« Back",
        NoMethods: "Deposits are not available at the moment.",
        MethodManualBank: "🏦 Bank transfer",
        MethodManualBlik: "📱 BLIK",
        MethodBtc: "₿ Bitcoin",
        MethodLtc: "Ł Litecoin",
        MethodStars: "⭐ Telegram Stars",
        MethodStripe: "💳 Card (Stripe)",
        MethodRobokassa: "💳 Card (Robokassa)",
        BalanceTitle: "💰 <b>Your balance</b>");

    public static readonly WalletTexts Ru = new(
        WalletTitle: "👛 <b>Ваш кошелёк</b>",
        Balance: "Баланс",
        NoMoney: "В кошельке пока пусто.",
        RecentMovements: "Последние операции",
        NoMovements: "Операций пока нет.",
        DepositButton: "➕ Пополнить",
        ChooseMethod: "Как вы хотите пополнить кошелёк?",
        Back: "« Назад",
        NoMethods: "Пополнение сейчас недоступно.",
        MethodManualBank: "🏦 Банковский перевод",
        MethodManualBlik: "📱 BLIK",
        MethodBtc: "₿ Bitcoin",
        MethodLtc: "Ł Litecoin",
        MethodStars: "⭐ Telegram Stars",
        MethodStripe: "💳 Карта (Stripe)",
        MethodRobokassa: "💳 Карта (Robokassa)",
        BalanceTitle: "💰 <b>Ваш баланс</b>");

    // Commands and the menu button, for the bot's /help, setMyCommands and /start menu.
    public static readonly Localized WalletCommand = new("Your wallet: balance, movements, deposit", "Ваш кошелёк: баланс, операции, пополнение");
    public static readonly Localized BalanceCommand = new("Your balances", "Ваши балансы");
    public static readonly Localized WalletButton = new("👛 Wallet", "👛 Кошелёк");

    public static WalletTexts For(string? languageCode) =>
        languageCode is not null && languageCode.StartsWith("ru", StringComparison.OrdinalIgnoreCase) ? Ru : En;

    public string KindName(string kind, bool russian) => (kind, russian) switch
    {
        ("deposit", false) => "Deposit",
        ("deposit", true) => "Пополнение",
        ("adjustment", false) => "Adjustment",
        ("adjustment", true) => "Корректировка",
        ("refund", false) => "Refund",
        ("refund", true) => "Возврат",
        ("purchase", false) => "Purchase",
        ("purchase", true) => "Покупка",
        _ => kind,
    };
}
