using System.Globalization;
using System.Net;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// Giveaways in the bot: /start gw_&lt;id&gt; and the Join button, the captcha step, "Check again", /giveaways and
/// "did I win?". Runs inside the update's transaction, so the subscription check (getChatMember) is a job.
/// </summary>
public sealed class GiveawayBot(BazaarDb db, GiveawayEntry entry, JobQueue jobs)
{
    public const string StartPrefix = "gw_";
    public const string JoinPrefix = "gw:join:";
    public const string CheckPrefix = "gw:check:";
    public const string ListCallback = "gw:list";
    public const string WonCallback = "gw:won";
    public const string CaptchaStep = "giveaways.captcha";
    /// <summary>An emoji captcha button: gw:cap:&lt;session&gt;:&lt;1-based position&gt;.</summary>
    public const string CaptchaPrefix = "gw:cap:";

    public sealed record CaptchaState(string SessionId);

    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");
    internal static string F(string lang, Localized t, params object?[] args) => string.Format(CultureInfo.InvariantCulture, t.In(lang), args);
    internal static string Time(DateTime t) => t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
    private static long L(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    public static void Register(BotRoutes r) => r
        .Command<GiveawayBot>("giveaways", (bot, ctx) => bot.ListAsync(ctx), GiveawayTexts.GiveawaysCommand)
        .Command<GiveawayBot>("didiwin", (bot, ctx) => bot.DidIWinAsync(ctx), GiveawayTexts.DidIWinCommand)
        .MenuButton(GiveawayTexts.GiveawaysButton, ListCallback)
        .StartPayload<GiveawayBot>(StartPrefix, (bot, ctx) => bot.JoinAsync(ctx, L(ctx.Args[StartPrefix.Length..])))
        .Callback<GiveawayBot>(JoinPrefix, (bot, ctx) => bot.ButtonAsync(ctx, () => bot.JoinAsync(ctx, L(ctx.CallbackData![JoinPrefix.Length..]))))
        .Callback<GiveawayBot>(CheckPrefix, (bot, ctx) => bot.ButtonAsync(ctx, () => bot.JoinAsync(ctx, L(ctx.CallbackData![CheckPrefix.Length..]))))
        .Callback<GiveawayBot>(ListCallback, (bot, ctx) => bot.ButtonAsync(ctx, () => bot.ListAsync(ctx)))
        .Callback<GiveawayBot>(WonCallback, (bot, ctx) => bot.ButtonAsync(ctx, () => bot.DidIWinAsync(ctx)))
        .Callback<GiveawayBot>(CaptchaPrefix, (bot, ctx) => bot.ButtonAsync(ctx, () => bot.CaptchaButtonAsync(ctx)))
        .Step<GiveawayBot>(CaptchaStep, (bot, ctx) => bot.CaptchaAnswerAsync(ctx));

    private async Task ButtonAsync(BotContext ctx, Func<Task> work)
    {
        ctx.AnswerCallback();
        await work();
    }

    public async Task ListAsync(BotContext ctx)
    {
        var now = ctx.Now;
        var open = await db.Giveaways.AsNoTracking()
            .Where(g => g.Status == GiveawayStatus.Published && g.EndsAt > now).OrderBy(g => g.EndsAt).Take(10).ToListAsync(ctx.CancellationToken);
        if (open.Count == 0) { ctx.Reply(ctx.T(GiveawayTexts.NoneRunning)); return; }
        var lines = open.Select(g => $"🎁 <b>{H(g.Title)}</b> · {H(g.Prize)} · {Time(g.EndsAt)} UTC");
        var keyboard = new InlineKeyboardMarkup(open.Select(g => new[]
            { InlineKeyboardButton.WithCallbackData($"{ctx.T(GiveawayTexts.Join)}: {g.Title}", JoinPrefix + g.Id) }));
        ctx.Reply(ctx.T(GiveawayTexts.ListHeader) + "\n\n" + string.Join("\n", lines), keyboard);
    }

    /// <summary>/start gw_&lt;id&gt;, Join and Check again: each step that is still missing, in order.</summary>
    public async Task JoinAsync(BotContext ctx, long giveawayId)
    {
        var ct = ctx.CancellationToken;
        var g = await entry.FindAsync(giveawayId, ct);
        if (g is not null && await entry.ParticipantAsync(g.Id, ctx.User.Id, ct) is { } p)
        {
            ctx.Reply(F(ctx.Language, GiveawayTexts.Already, H(g.Title), p.Id));
            return;
        }
        if (entry.Closed(g, ctx.Now) is { } closed) { ctx.Reply(Describe(new JoinResult(closed, g), ctx.Language)); return; }
        if (!await entry.HasPassedCaptchaAsync(ctx.User.Id, ct))
        {
            await AskCaptchaAsync(ctx, g!.Id, null);
            return;
        }
        await AfterCaptchaAsync(ctx, g!);
    }

    private async Task AfterCaptchaAsync(BotContext ctx, Giveaway g)
    {
        if (g.RequiredChannels.Count > 0)
        {
            // getChatMember calls out: the job does it outside this transaction and answers through the outbox.
            SubscriptionCheckJob.Enqueue(jobs, g.Id, ctx.User.Id, ctx.Chat, ctx.Language);
            ctx.Reply(ctx.T(GiveawayTexts.Checking));
            return;
        }
        var result = await entry.JoinAsync(g.Id, ctx.User.Id, null, ctx.CancellationToken);
        ctx.Reply(Describe(result, ctx.Language));
    }

    private async Task AskCaptchaAsync(BotContext ctx, long giveawayId, Localized? before)
    {
        var asked = await entry.AskAsync(ctx.User.Id, giveawayId, ctx.CancellationToken);
        if (asked.Outcome == CaptchaOutcome.CoolingDown)
        {
            ctx.Reply(F(ctx.Language, GiveawayTexts.CaptchaCooldown, asked.WaitSeconds));
            return;
        }
        var s = asked.Session!;
        await ctx.SetStepAsync(CaptchaStep, new CaptchaState(s.Id));
        var question = CaptchaQuestions.IsEmoji(s)
            ? F(ctx.Language, GiveawayTexts.CaptchaEmojiAsk, H(CaptchaQuestions.Target(s, ctx.Language)))
            : F(ctx.Language, GiveawayTexts.Captcha, H(s.Question));
        ctx.Reply(before is null ? question : ctx.T(before) + "\n" + question, EmojiKeyboard(s));
    }

    /// <summary>The emoji captcha's buttons, three to a row (null for an arithmetic question, which is typed).</summary>
    internal static InlineKeyboardMarkup? EmojiKeyboard(CaptchaSession s) =>
        CaptchaQuestions.IsEmoji(s)
            ? new(CaptchaQuestions.Options(s).Select((e, i) => InlineKeyboardButton.WithCallbackData(e, $"{CaptchaPrefix}{s.Id}:{i + 1}")).Chunk(3))
            : null;

    /// <summary>A typed answer in the captcha step: a number for the arithmetic question; the emoji question wants a button.</summary>
    public async Task CaptchaAnswerAsync(BotContext ctx)
    {
        var state = await ctx.GetStateDataAsync<CaptchaState>();
        var text = ctx.Text?.Trim() ?? "";
        if (state is null) { await ctx.ClearStateAsync(); return; }
        if (await entry.SessionAsync(state.SessionId, ctx.CancellationToken) is { } s && CaptchaQuestions.IsEmoji(s))
        {
            ctx.Reply(ctx.T(GiveawayTexts.PressAButton) + "\n" + F(ctx.Language, GiveawayTexts.CaptchaEmojiAgain, H(CaptchaQuestions.Target(s, ctx.Language))),
                EmojiKeyboard(s));
            return;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            ctx.Reply(ctx.T(GiveawayTexts.NotANumber));
            return;
        }
        await AnswerCaptchaAsync(ctx, state.SessionId, text);
    }

    /// <summary>
    /// An emoji button. Only the question this chat is waiting on, asked of this user, counts: a button of an older
    /// session, of another user's, or pressed after the step ended is refused without spending an attempt.
    /// </summary>
    public async Task CaptchaButtonAsync(BotContext ctx)
    {
        var parts = ctx.CallbackData![CaptchaPrefix.Length..].Split(':');
        var state = await ctx.GetStateAsync();
        var waiting = state?.Step == CaptchaStep ? await ctx.GetStateDataAsync<CaptchaState>() : null;
        if (parts.Length != 2 || waiting?.SessionId != parts[0] || !await entry.IsSessionOfAsync(parts[0], ctx.User.Id, ctx.CancellationToken))
        {
            ctx.Reply(ctx.T(GiveawayTexts.CaptchaStale));
            return;
        }
        await AnswerCaptchaAsync(ctx, parts[0], parts[1]);
    }

    private async Task AnswerCaptchaAsync(BotContext ctx, string sessionId, string answer)
    {
        var result = await entry.AnswerAsync(sessionId, answer, ctx.CancellationToken);
        switch (result.Outcome)
        {
            case CaptchaOutcome.Passed:
                await ctx.ClearStateAsync();
                ctx.Reply(ctx.T(GiveawayTexts.CaptchaPassed));
                if (result.Session!.GiveawayId is { } gid && await entry.FindAsync(gid, ctx.CancellationToken) is { } g)
                {
                    if (entry.Closed(g, ctx.Now) is { } closed) ctx.Reply(Describe(new JoinResult(closed, g), ctx.Language));
                    else await AfterCaptchaAsync(ctx, g);
                }
                break;
            case CaptchaOutcome.WrongAnswer:
                var s = result.Session!;
                ctx.Reply(F(ctx.Language, GiveawayTexts.CaptchaWrong, result.AttemptsLeft) + "\n" + (CaptchaQuestions.IsEmoji(s)
                    ? F(ctx.Language, GiveawayTexts.CaptchaEmojiAgain, H(CaptchaQuestions.Target(s, ctx.Language)))
                    : "<b>" + H(s.Question) + " = ?</b>"), EmojiKeyboard(s));
                break;
            case CaptchaOutcome.TooManyAttempts:
                await ctx.ClearStateAsync();
                ctx.Reply(F(ctx.Language, GiveawayTexts.CaptchaFailed, Math.Max(1, result.WaitSeconds)),
                    result.Session?.GiveawayId is { } retry ? JoinKeyboard(ctx.Language, retry) : null);
                break;
            case CaptchaOutcome.Expired:
                await AskCaptchaAsync(ctx, result.Session!.GiveawayId ?? 0, GiveawayTexts.CaptchaExpired);
                break;
            default:
                await ctx.ClearStateAsync();
                break;
        }
    }

    public async Task DidIWinAsync(BotContext ctx)
    {
        var ct = ctx.CancellationToken;
        var mine = await (from p in db.GiveawayParticipants.AsNoTracking()
                          join g in db.Giveaways.AsNoTracking() on p.GiveawayId equals g.Id
                          where p.UserId == ctx.User.Id
                          orderby p.JoinedAt descending
                          select new { g.Id, g.Title, g.Status, g.EndsAt }).Take(10).ToListAsync(ct);
        if (mine.Count == 0) { ctx.Reply(ctx.T(GiveawayTexts.NotParticipating)); return; }
        var ids = mine.Select(m => m.Id).ToList();
        var won = await db.GiveawayWinners.AsNoTracking().Where(w => w.UserId == ctx.User.Id && ids.Contains(w.GiveawayId))
            .Select(w => w.GiveawayId).ToListAsync(ct);
        ctx.Reply(string.Join("\n", mine.Select(m =>
            m.Status != GiveawayStatus.Drawn ? F(ctx.Language, GiveawayTexts.PendingLine, H(m.Title), Time(m.EndsAt))
            : won.Contains(m.Id) ? F(ctx.Language, GiveawayTexts.WonLine, H(m.Title))
            : F(ctx.Language, GiveawayTexts.LostLine, H(m.Title)))));
    }

    internal static InlineKeyboardMarkup JoinKeyboard(string lang, long giveawayId) =>
        new(InlineKeyboardButton.WithCallbackData(GiveawayTexts.Join.In(lang), JoinPrefix + giveawayId));

    /// <summary>The chat text for a join's outcome.</summary>
    internal static string Describe(JoinResult r, string lang) => r.Outcome switch
    {
        JoinOutcome.Joined => F(lang, GiveawayTexts.Joined, H(r.Giveaway!.Title), r.ParticipantId, Time(r.Giveaway.EndsAt)),
        JoinOutcome.AlreadyParticipating => F(lang, GiveawayTexts.Already, H(r.Giveaway?.Title), r.ParticipantId),
        JoinOutcome.NotStarted => F(lang, GiveawayTexts.NotStarted, Time(r.Giveaway!.StartsAt)),
        JoinOutcome.Ended => GiveawayTexts.Ended.In(lang),
        JoinOutcome.CaptchaRequired => GiveawayTexts.NotFound.In(lang), // not reached: the captcha is asked before
        _ => GiveawayTexts.NotFound.In(lang),
    };

    internal static string NotSubscribedText(string lang, Giveaway g, IEnumerable<MissingChannel> missing) =>
        F(lang, GiveawayTexts.NotSubscribed, H(g.Title), string.Join("\n", missing.Select(m =>
            m.Link is { Length: > 0 } link ? $"• <a href=\"{H(link)}\">{H(m.Title)}</a>" : $"• {H(m.Title)} ({H(m.ChatId)})")));

    internal static InlineKeyboardMarkup CheckAgainKeyboard(string lang, Giveaway g, IEnumerable<MissingChannel> missing) =>
        new(missing.Where(m => m.Link is { Length: > 0 }).Select(m => new[] { InlineKeyboardButton.WithUrl(m.Title, m.Link!) })
            .Append([InlineKeyboardButton.WithCallbackData(GiveawayTexts.CheckAgain.In(lang), CheckPrefix + g.Id)]));
}

/// <summary>
/// <c>giveaways.check-subscription</c>: getChatMember for each required channel outside any transaction, then one
/// short transaction records the check and joins the user, or lists what is missing with "Check again".
/// </summary>
public sealed class SubscriptionCheckJob(BazaarDb db, GiveawayEntry entry, ChatMembers members, Outbox outbox, WriteGate gate, TimeProvider clock)
    : JobHandler<SubscriptionCheckJob.Payload>
{
    public const string JobType = "giveaways.check-subscription";
    public sealed record Payload(long GiveawayId, long UserId, string Channel, string ChatId, string Language)
    {
        public ChatTarget To => new(Channel, ChatId, UserId);
    }

    public static Job Enqueue(JobQueue queue, long giveawayId, long userId, ChatTarget chat, string language) =>
        queue.Enqueue(JobType, new Payload(giveawayId, userId, chat.Channel, chat.ChatId, language), new EnqueueOptions { MaxAttempts = 3 });

    public override async Task HandleAsync(Payload job, JobContext ctx, CancellationToken ct)
    {
        var g = await entry.FindAsync(job.GiveawayId, ct);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == job.UserId, ct);
        if (g is null || user is null) return;
        var missing = await members.MissingAsync(user, g.RequiredChannels, ct); // outside any transaction
        var now = clock.GetUtcNow().UtcDateTime;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await entry.RecordSubscriptionCheckAsync(user.Id, now, ct);
            if (missing.Count > 0)
                outbox.SendText(job.To, GiveawayBot.NotSubscribedText(job.Language, g, missing), GiveawayBot.CheckAgainKeyboard(job.Language, g, missing));
            else
                outbox.SendText(job.To, GiveawayBot.Describe(await entry.JoinAsync(g.Id, user.Id, now, ct), job.Language));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
    }

    /// <summary>The Bot API kept failing: the user is told to try again (in the queue's transaction).</summary>
    public override Task OnFailedAsync(Payload job, JobContext ctx, string error, CancellationToken ct)
    {
        outbox.SendText(job.To, GiveawayTexts.CheckFailed.In(job.Language),
            new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(GiveawayTexts.CheckAgain.In(job.Language), GiveawayBot.CheckPrefix + job.GiveawayId)));
        return Task.CompletedTask;
    }
}
