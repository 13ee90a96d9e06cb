using System.Globalization;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Referrals;

/// <summary>
/// The referral program in the bot: /start ref_&lt;code&gt; (linking at first contact), /referral (with /affiliate and
/// /referral_link), /stats, /profile with achievements and the /top privacy switch, and /top.
/// </summary>
public sealed class ReferralBot(BazaarDb db, ReferralService referrals, ReferralStats stats, ReferralTiers tiers,
    Achievements achievements, BotPipeline pipeline, IOptions<ReferralOptions> options)
{
    public const string ShowCallback = "ref:show";
    public const string StatsCallback = "ref:stats";
    public const string ProfileCallback = "ref:profile";
    public const string TopPrefix = "ref:top:";
    public const string NamePrefix = "ref:name:";

    public static void Register(BotRoutes r) => r
        .StartPayload<ReferralBot>(ReferralCodes.StartPrefix, (bot, ctx) => bot.StartAsync(ctx))
        .Command<ReferralBot>("referral", (bot, ctx) => bot.ShowAsync(ctx), ReferralTexts.ReferralCommand)
        .Command<ReferralBot>("affiliate", (bot, ctx) => bot.ShowAsync(ctx), hidden: true)
        .Command<ReferralBot>("referral_link", (bot, ctx) => bot.ShowAsync(ctx), hidden: true)
        .Command<ReferralBot>("stats", (bot, ctx) => bot.StatsAsync(ctx), ReferralTexts.StatsCommand)
        .Command<ReferralBot>("profile", (bot, ctx) => bot.ProfileAsync(ctx), ReferralTexts.ProfileCommand)
        .Command<ReferralBot>("top", (bot, ctx) => bot.TopAsync(ctx, Parse(ctx.Args)), ReferralTexts.TopCommand)
        .MenuButton(ReferralTexts.MenuButton, ShowCallback)
        .Callback<ReferralBot>(ShowCallback, (bot, ctx) => bot.Button(ctx, () => bot.ShowAsync(ctx)))
        .Callback<ReferralBot>(StatsCallback, (bot, ctx) => bot.Button(ctx, () => bot.StatsAsync(ctx)))
        .Callback<ReferralBot>(ProfileCallback, (bot, ctx) => bot.Button(ctx, () => bot.ProfileAsync(ctx)))
        .Callback<ReferralBot>(TopPrefix, (bot, ctx) => bot.Button(ctx, () => bot.TopAsync(ctx, Parse(ctx.CallbackData![TopPrefix.Length..]))))
        .Callback<ReferralBot>(NamePrefix, (bot, ctx) => bot.Button(ctx, () => bot.SetNameAsync(ctx, ctx.CallbackData![NamePrefix.Length..] == "on")));

    private async Task Button(BotContext ctx, Func<Task> work)
    {
        ctx.AnswerCallback();
        await work();
    }

    private static string F(BotContext ctx, Localized t, params object?[] args) => string.Format(CultureInfo.InvariantCulture, ctx.T(t), args);

    /// <summary>
    /// /start ref_&lt;code&gt;: links the newcomer when this is their first contact with the bot (their user row was
    /// created by this very update and nothing came from them before), then the usual greeting and menu.
    /// </summary>
    public async Task StartAsync(BotContext ctx)
    {
        var code = ctx.Args[ReferralCodes.StartPrefix.Length..];
        string? extra = null;
        if (ReferralCodes.TryParse(code, out var referrerId))
        {
            if (referrerId == ctx.User.Id) extra = ctx.T(ReferralTexts.OwnLink);
            else if (await IsFirstContactAsync(ctx) &&
                     await referrals.LinkAsync(ctx.User.Id, referrerId, "link", ctx.CancellationToken) == LinkOutcome.Linked)
            {
                var referrer = await db.Users.AsNoTracking().FirstAsync(u => u.Id == referrerId, ctx.CancellationToken);
                extra = F(ctx, ReferralTexts.InvitedBy, ReferralTexts.Html(referrer.DisplayName));
            }
        }
        ConversationsModule.ShowStart(pipeline, ctx, extra);
    }

    private async Task<bool> IsFirstContactAsync(BotContext ctx)
    {
        if ((ctx.User.LastSeenAt - ctx.User.CreatedAt).Duration() > TimeSpan.FromMilliseconds(1)) return false;
        var chat = ctx.Chat.ChatId;
        var me = ctx.User.ExternalId;
        return !await db.InboundUpdates.AnyAsync(u => u.ChatId == chat && u.Id < ctx.InboundUpdateId && u.Channel == ctx.Channel && u.UserId == me,
            ctx.CancellationToken);
    }

    public async Task ShowAsync(BotContext ctx)
    {
        var s = await stats.SummaryAsync(ctx.User.Id, ctx.CancellationToken);
        var link = s.Link is null ? F(ctx, ReferralTexts.NoLink, s.Code) : ReferralTexts.Html(s.Link);
        var next = s.NextTier is { } n ? F(ctx, ReferralTexts.ToNextTier, Currencies.Format(n.Threshold - s.EarnedMinor, s.Currency), n.Label(ctx.Language)) : "";
        var milestone = s.MilestoneEvery > 0 && s.MilestoneReward > 0
            ? F(ctx, ReferralTexts.MilestoneProgress, s.Active, s.NextMilestoneAt, s.MilestoneReward)
            : ctx.T(ReferralTexts.NoMilestones);
        var text = F(ctx, ReferralTexts.Overview, options.Value.CommissionPercent.ToString("0.##", CultureInfo.InvariantCulture), link, s.Code,
            s.Invited, s.Active, Currencies.Format(s.EarnedMinor, s.Currency), Currencies.Format(s.EarnedThisMonthMinor, s.Currency),
            s.Tier.Label(ctx.Language), next, milestone);
        ctx.EditOrReply(text, new InlineKeyboardMarkup([
            [InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.StatsButton), StatsCallback),
             InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.TopButton), TopPrefix + "e:m")],
            [InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.ProfileButton), ProfileCallback)],
        ]));
    }

    public async Task StatsAsync(BotContext ctx)
    {
        var months = await stats.ByMonthAsync(ctx.User.Id, ctx.CancellationToken);
        var lines = new List<string> { ctx.T(ReferralTexts.StatsHeader) };
        if (months.Count == 0) lines.Add(ctx.T(ReferralTexts.StatsEmpty));
        foreach (var m in months)
            lines.Add(F(ctx, ReferralTexts.StatsLine, m.Month, Currencies.Format(m.EarnedMinor - m.ReversedMinor, m.Currency), m.Deposits) +
                (m.ReversedMinor > 0 ? F(ctx, ReferralTexts.StatsReversed, Currencies.Format(m.ReversedMinor, m.Currency)) : ""));
        foreach (var total in months.GroupBy(m => m.Currency))
            lines.Add(F(ctx, ReferralTexts.StatsTotal, Currencies.Format(total.Sum(m => m.EarnedMinor - m.ReversedMinor), total.Key)));
        ctx.EditOrReply(string.Join("\n", lines), Back(ctx));
    }

    public async Task ProfileAsync(BotContext ctx)
    {
        var ct = ctx.CancellationToken;
        await achievements.EvaluateAsync(ctx.User.Id, ct);
        var facts = await achievements.FactsAsync(ctx.User.Id, ct);
        var unlocked = await achievements.UnlockedAsync(ctx.User.Id, ct);
        var tier = await tiers.TierOfUserAsync(db, ctx.User.Id, ct);
        var lines = new List<string> { F(ctx, ReferralTexts.ProfileHeader, tier.Label(ctx.Language), unlocked.Count, Achievements.Rules.Count) };
        foreach (var a in Achievements.Rules)
            lines.Add(unlocked.Contains(a.Code)
                ? F(ctx, ReferralTexts.AchievementDone, a.Badge, a.Name.In(ctx.Language))
                : F(ctx, ReferralTexts.AchievementLocked, a.Badge, a.Name.In(ctx.Language), Math.Min(a.Progress(facts), a.Target), a.Target));
        var shown = await stats.ShowsNameAsync(ctx.User.Id, ct);
        lines.Add("");
        lines.Add(ctx.T(shown ? ReferralTexts.NameShown : ReferralTexts.NameHidden));
        ctx.EditOrReply(string.Join("\n", lines), new InlineKeyboardMarkup([
            [InlineKeyboardButton.WithCallbackData(ctx.T(shown ? ReferralTexts.HideNameButton : ReferralTexts.ShowNameButton), NamePrefix + (shown ? "off" : "on"))],
            [InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.BackButton), ShowCallback)],
        ]));
    }

    private async Task SetNameAsync(BotContext ctx, bool show)
    {
        await stats.SetShowNameAsync(ctx.User.Id, show, ctx.CancellationToken);
        await ProfileAsync(ctx);
    }

    /// <summary>"e:m" = by earnings this month; "c:a" = by count all time. /top takes "count", "all" as words too.</summary>
    internal static (TopBy By, TopPeriod Period) Parse(string s)
    {
        var words = s.ToLowerInvariant().Split([' ', ':'], StringSplitOptions.RemoveEmptyEntries);
        var by = words.Any(w => w is "c" or "count" or "referrals") ? TopBy.Count : TopBy.Earnings;
        var period = words.Any(w => w is "a" or "all" or "alltime") ? TopPeriod.AllTime : TopPeriod.Month;
        return (by, period);
    }

    public async Task TopAsync(BotContext ctx, (TopBy By, TopPeriod Period) what)
    {
        var board = await stats.TopAsync(what.By, what.Period, ctx.User.Id, ctx.CancellationToken);
        string Value(long v) => board.By == TopBy.Earnings ? Currencies.Format(v, board.Currency) : F(ctx, ReferralTexts.ReferralsCount, v);
        var lines = new List<string>
        {
            F(ctx, ReferralTexts.TopHeader, ctx.T(board.By == TopBy.Earnings ? ReferralTexts.ByEarnings : ReferralTexts.ByCount),
                ctx.T(board.Period == TopPeriod.Month ? ReferralTexts.ThisMonth : ReferralTexts.AllTime)),
            "",
        };
        if (board.Rows.Count == 0) lines.Add(ctx.T(ReferralTexts.TopEmpty));
        foreach (var row in board.Rows)
        {
            var name = row.UserId == ctx.User.Id ? $"{ReferralTexts.Html(row.Name ?? ctx.User.DisplayName)} ({ctx.T(ReferralTexts.You)})"
                : row.Name is null ? ctx.T(ReferralTexts.Anonymous) : ReferralTexts.Html(row.Name);
            lines.Add($"{Medal(row.Rank)} {name} — {Value(row.Value)}");
        }
        lines.Add("");
        lines.Add(board.Caller is { } me ? F(ctx, ReferralTexts.YourRank, me.Rank, Value(me.Value)) : ctx.T(ReferralTexts.NotRanked));
        string Key(TopBy b, TopPeriod p) => TopPrefix + (b == TopBy.Earnings ? "e" : "c") + ":" + (p == TopPeriod.Month ? "m" : "a");
        ctx.EditOrReply(string.Join("\n", lines), new InlineKeyboardMarkup([
            [InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.ByEarnings), Key(TopBy.Earnings, board.Period)),
             InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.ByCount), Key(TopBy.Count, board.Period))],
            [InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.ThisMonth), Key(board.By, TopPeriod.Month)),
             InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.AllTime), Key(board.By, TopPeriod.AllTime))],
            [InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.BackButton), ShowCallback)],
        ]));
    }

    private static string Medal(int rank) => rank switch { 1 => "🥇", 2 => "🥈", 3 => "🥉", _ => $"{rank}." };

    private static InlineKeyboardMarkup Back(BotContext ctx) =>
        new([[InlineKeyboardButton.WithCallbackData(ctx.T(ReferralTexts.BackButton), ShowCallback)]]);
}
