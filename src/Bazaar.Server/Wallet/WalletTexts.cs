using Bazaar.Server.Conversations;

namespace Bazaar.Server.Wallet;

/// <summary>The wallet's bot texts in English and Russian (each text rewordable in Settings).</summary>
public static class WalletTexts
{
    public static readonly Localized WalletTitle = new("👛 <b>Your wallet</b>", "👛 <b>Ваш кошелёк</b>");
    public static readonly Localized Balance = new("Balance", "Баланс");
    public static readonly Localized NoMoney = new("Your wallet is empty.", "В кошельке пока пусто.");
    public static readonly Localized RecentMovements = new("Recent movements", "Последние операции");
    public static readonly Localized NoMovements = new("No movements yet.", "Операций пока нет.");
    public static readonly Localized DepositButton = new("➕ Deposit", "➕ Пополнить");
    public static readonly Localized ChooseMethod = new("How would you like to top up your wallet?", "Как вы хотите пополнить кошелёк?");
    public static readonly Localized Back = new("« Back", "« Назад");
    public static readonly Localized NoMethods = new("Deposits are not available at the moment.", "Пополнение сейчас недоступно.");
    public static readonly Localized MethodManualBank = new("🏦 Bank transfer", "🏦 Банковский перевод");
    public static readonly Localized MethodManualBlik = new("📱 BLIK", "📱 BLIK");
    public static readonly Localized MethodBtc = new("₿ Bitcoin", "₿ Bitcoin");
    public static readonly Localized MethodLtc = new("Ł Litecoin", "Ł Litecoin");
    public static readonly Localized MethodStars = new("⭐ Telegram Stars", "⭐ Telegram Stars");
    public static readonly Localized MethodStripe = new("💳 Card (Stripe)", "💳 Карта (Stripe)");
    public static readonly Localized MethodRobokassa = new("💳 Card (Robokassa)", "💳 Карта (Robokassa)");
    public static readonly Localized BalanceTitle = new("💰 <b>Your balance</b>", "💰 <b>Ваш баланс</b>");

    // The kinds of movement in the wallet's history.
    public static readonly Localized KindDeposit = new("Deposit", "Пополнение");
    public static readonly Localized KindAdjustment = new("Adjustment", "Корректировка");
    public static readonly Localized KindRefund = new("Refund", "Возврат");
    public static readonly Localized KindPurchase = new("Purchase", "Покупка");

    // Commands and the menu button, for the bot's /help, setMyCommands and /start menu.
    public static readonly Localized WalletCommand = new("Your wallet: balance, movements, deposit", "Ваш кошелёк: баланс, операции, пополнение");
    public static readonly Localized BalanceCommand = new("Your balances", "Ваши балансы");
    public static readonly Localized WalletButton = new("👛 Wallet", "👛 Кошелёк");

    public static string KindName(string kind, string language) => kind switch
    {
        "deposit" => KindDeposit.In(language),
        "adjustment" => KindAdjustment.In(language),
        "refund" => KindRefund.In(language),
        "purchase" => KindPurchase.In(language),
        _ => kind,
    };
}
