using System.Text;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Wallet;

/// <summary>A bot screen: HTML text and its inline keyboard.</summary>
public sealed record BotScreen(string Text, InlineKeyboardMarkup? Keyboard);

/// <summary>Balances other than money for /balance (the checks feature's credits, for one); each adds its lines.</summary>
public interface IBalanceLines
{
    Task<IReadOnlyList<string>> LinesAsync(long userId, string language, CancellationToken ct);
}

/// <summary>
/// The wallet's bot screens as plain methods, for the conversation router to call:
/// /wallet (balance, recent movements, Deposit), /balance, and the deposit-method choice.
/// </summary>
public sealed class WalletScreens(BazaarDb db, IOptions<ShopCurrencyOptions> shop, IOptions<PaymentsOptions> payments,
    IEnumerable<IBalanceLines> otherBalances)
{
    public const string DepositCallback = "wallet:deposit";
    public const string DepositMethodCallbackPrefix = "wallet:deposit:";
    public const string BackCallback = "wallet:show";
    public const int RecentMovements = 5;

    public async Task<BotScreen> WalletAsync(long userId, CancellationToken ct)
    {
        var lang = await LanguageOf(userId, ct);
        var sb = new StringBuilder().AppendLine(WalletTexts.WalletTitle.In(lang)).AppendLine();
        AppendBalances(sb, lang, await WalletModule.Balances(db, userId, ct));
        sb.AppendLine().AppendLine($"<b>{WalletTexts.RecentMovements.In(lang)}</b>");
        var rows = await WalletModule.Movements(db, userId, RecentMovements, ct);
        if (rows.Count == 0) sb.AppendLine(WalletTexts.NoMovements.In(lang));
        foreach (var m in rows)
        {
            var sign = m.AmountMinor > 0 ? "+" : "−";
            sb.AppendLine($"{m.At:yyyy-MM-dd} {sign}{Currencies.Format(Math.Abs(m.AmountMinor), m.Currency)} · {WalletTexts.KindName(m.Kind, lang)}");
        }
        var keyboard = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(WalletTexts.DepositButton.In(lang), DepositCallback));
        return new BotScreen(sb.ToString().TrimEnd(), keyboard);
    }

    public async Task<string> BalanceTextAsync(long userId, CancellationToken ct)
    {
        var lang = await LanguageOf(userId, ct);
        var sb = new StringBuilder().AppendLine(WalletTexts.BalanceTitle.In(lang)).AppendLine();
        AppendBalances(sb, lang, await WalletModule.Balances(db, userId, ct));
        foreach (var other in otherBalances)
            foreach (var line in await other.LinesAsync(userId, lang, ct))
                sb.AppendLine(line);
        return sb.ToString().TrimEnd();
    }

    /// <summary>The deposit methods that are configured, as buttons with callback data <c>wallet:deposit:{method}</c>.</summary>
    public BotScreen DepositMethods(string? languageCode, string channel = ChatChannel.Telegram)
    {
        var lang = Conversations.Languages.FromCode(languageCode);
        var o = payments.Value;
        var buttons = Enum.GetValues<PaymentMethod>()
            .Where(o.IsEnabled)
            .Where(m => m != PaymentMethod.Stars || channel == ChatChannel.Telegram)
            .Select(m => new[] { InlineKeyboardButton.WithCallbackData(MethodName(lang, m), DepositMethodCallbackPrefix + m.WireName()) })
            .ToList();
        var text = (buttons.Count == 0 ? WalletTexts.NoMethods : WalletTexts.ChooseMethod).In(lang);
        buttons.Add([InlineKeyboardButton.WithCallbackData(WalletTexts.Back.In(lang), BackCallback)]);
        return new BotScreen(text, new InlineKeyboardMarkup(buttons));
    }

    /// <summary>A payment method's name in a language (a code such as "ru-RU" is fine).</summary>
    public static string MethodName(string? language, PaymentMethod m) => (m switch
    {
        PaymentMethod.ManualBank => WalletTexts.MethodManualBank,
        PaymentMethod.ManualBlik => WalletTexts.MethodManualBlik,
        PaymentMethod.Btc => WalletTexts.MethodBtc,
        PaymentMethod.Ltc => WalletTexts.MethodLtc,
        PaymentMethod.Stars => WalletTexts.MethodStars,
        PaymentMethod.Stripe => WalletTexts.MethodStripe,
        _ => WalletTexts.MethodRobokassa,
    }).In(Conversations.Languages.FromCode(language));

    private void AppendBalances(StringBuilder sb, string lang, List<WalletModule.BalanceView> balances)
    {
        var nonZero = balances.Where(b => b.AmountMinor != 0).ToList();
        if (nonZero.Count == 0)
        {
            sb.AppendLine($"{WalletTexts.Balance.In(lang)}: {Currencies.Format(0, shop.Value.Currency)}");
            sb.AppendLine(WalletTexts.NoMoney.In(lang));
            return;
        }
        foreach (var b in nonZero) sb.AppendLine($"{WalletTexts.Balance.In(lang)}: <b>{Currencies.Format(b.AmountMinor, b.Currency)}</b>");
    }

    private async Task<string> LanguageOf(long userId, CancellationToken ct) =>
        Conversations.Languages.FromCode(await db.Users.Where(u => u.Id == userId).Select(u => (string?)u.LanguageCode).FirstOrDefaultAsync(ct));
}
