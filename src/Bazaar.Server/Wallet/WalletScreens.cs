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
        var t = WalletTexts.For(lang);
        var ru = ReferenceEquals(t, WalletTexts.Ru);
        var sb = new StringBuilder().AppendLine(t.WalletTitle).AppendLine();
        AppendBalances(sb, t, await WalletModule.Balances(db, userId, ct));
        sb.AppendLine().AppendLine($"<b>{t.RecentMovements}</b>");
        var rows = await WalletModule.Movements(db, userId, RecentMovements, ct);
        if (rows.Count == 0) sb.AppendLine(t.NoMovements);
        foreach (var m in rows)
        {
            var sign = m.AmountMinor > 0 ? "+" : "−";
            sb.AppendLine($"{m.At:yyyy-MM-dd} {sign}{Currencies.Format(Math.Abs(m.AmountMinor), m.Currency)} · {t.KindName(m.Kind, ru)}");
        }
        var keyboard = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(t.DepositButton, DepositCallback));
        return new BotScreen(sb.ToString().TrimEnd(), keyboard);
    }

    public async Task<string> BalanceTextAsync(long userId, CancellationToken ct)
    {
        var lang = await LanguageOf(userId, ct);
        var t = WalletTexts.For(lang);
        var sb = new StringBuilder().AppendLine(t.BalanceTitle).AppendLine();
        AppendBalances(sb, t, await WalletModule.Balances(db, userId, ct));
        foreach (var other in otherBalances)
            foreach (var line in await other.LinesAsync(userId, Conversations.Languages.FromCode(lang), ct))
                sb.AppendLine(line);
        return sb.ToString().TrimEnd();
    }

    /// <summary>The deposit methods that are configured, as buttons with callback data <c>wallet:deposit:{method}</c>.</summary>
    public BotScreen DepositMethods(string? languageCode, string channel = ChatChannel.Telegram)
    {
        var t = WalletTexts.For(languageCode);
        var o = payments.Value;
        var buttons = Enum.GetValues<PaymentMethod>()
            .Where(o.IsEnabled)
            .Where(m => m != PaymentMethod.Stars || channel == ChatChannel.Telegram)
            .Select(m => new[] { InlineKeyboardButton.WithCallbackData(MethodName(t, m), DepositMethodCallbackPrefix + m.WireName()) })
            .ToList();
        var text = buttons.Count == 0 ? t.NoMethods : t.ChooseMethod;
        buttons.Add([InlineKeyboardButton.WithCallbackData(t.Back, BackCallback)]);
        return new BotScreen(text, new InlineKeyboardMarkup(buttons));
    }

    public static string MethodName(WalletTexts t, PaymentMethod m) => m switch
    {
        PaymentMethod.ManualBank => t.MethodManualBank,
        PaymentMethod.ManualBlik => t.MethodManualBlik,
        PaymentMethod.Btc => t.MethodBtc,
        PaymentMethod.Ltc => t.MethodLtc,
        PaymentMethod.Stars => t.MethodStars,
        PaymentMethod.Stripe => t.MethodStripe,
        _ => t.MethodRobokassa,
    };

    private void AppendBalances(StringBuilder sb, WalletTexts t, List<WalletModule.BalanceView> balances)
    {
        var nonZero = balances.Where(b => b.AmountMinor != 0).ToList();
        if (nonZero.Count == 0)
        {
            sb.AppendLine($"{t.Balance}: {Currencies.Format(0, shop.Value.Currency)}");
            sb.AppendLine(t.NoMoney);
            return;
        }
        foreach (var b in nonZero) sb.AppendLine($"{t.Balance}: <b>{Currencies.Format(b.AmountMinor, b.Currency)}</b>");
    }

    private Task<string?> LanguageOf(long userId, CancellationToken ct) =>
        db.Users.Where(u => u.Id == userId).Select(u => (string?)u.LanguageCode).FirstOrDefaultAsync(ct);
}
