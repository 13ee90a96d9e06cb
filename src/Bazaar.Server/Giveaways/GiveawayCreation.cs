using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// /newgiveaway for the operators in Admin:TelegramIds: a conversation of ten steps (title, description, prize, photo,
/// winner count, required chats, start, end, end condition, channel to post in), then a summary with Publish. Each
/// answer is validated with a friendly retry. Whether the bot is an admin in the chats is asked of Telegram by the job
/// <c>giveaways.check-admin</c>, outside the update's transaction; the job moves the conversation on.
/// </summary>
public sealed partial class GiveawayCreation(BazaarDb db, JobQueue jobs, GiveawayPosts posts, BotPipeline pipeline, BotIdentity identity)
{
    public const string Command = "newgiveaway";
    public const string Prefix = "gw:new:";
    public const string StepPrefix = "giveaways.new.";
    public const string TitleStep = StepPrefix + "title", DescriptionStep = StepPrefix + "description", PrizeStep = StepPrefix + "prize",
        PhotoStep = StepPrefix + "photo", WinnersStep = StepPrefix + "winners", ChannelsStep = StepPrefix + "channels",
        CheckingStep = StepPrefix + "checking", StartStep = StepPrefix + "start", EndStep = StepPrefix + "end",
        ConditionStep = StepPrefix + "condition", PublishStep = StepPrefix + "publish", ConfirmStep = StepPrefix + "confirm";
    public const int MaxChannels = 10;

    /// <summary>The giveaway being prepared, kept as the conversation step's data.</summary>
    public sealed class Draft
    {
        public string Title { get; set; } = "";
        public string Description { get; set; } = "";
        public string Prize { get; set; } = "";
        public string? Photo { get; set; }
        public int WinnerCount { get; set; }
        public List<GiveawayApi.ChannelRequest> Channels { get; set; } = [];
        public DateTime StartsAt { get; set; }
        public DateTime EndsAt { get; set; }
        public int? EndAfter { get; set; }
        public string? PostChatId { get; set; }
        public string? PostTitle { get; set; }
        /// <summary>Numbers the admin checks, so a late job answer for an earlier list is ignored.</summary>
        public int Check { get; set; }
        /// <summary>What the pending check is for: the required chats, or the chat to post in.</summary>
        public bool CheckingPostChat { get; set; }
    }

    public static void Register(BotRoutes r)
    {
        r.Command<GiveawayCreation>(Command, (bot, ctx) => bot.StartAsync(ctx), hidden: true)
         .Callback<GiveawayCreation>(Prefix, (bot, ctx) => bot.ButtonAsync(ctx));
        foreach (var step in new[] { TitleStep, DescriptionStep, PrizeStep, PhotoStep, WinnersStep, ChannelsStep, CheckingStep, StartStep, EndStep,
                     ConditionStep, PublishStep, ConfirmStep })
            r.Step<GiveawayCreation>(step, (bot, ctx) => bot.InputAsync(ctx, ctx.Text?.Trim() ?? "", fromButton: false));
    }

    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");
    private static string F(BotContext ctx, Localized t, params object?[] args) => GiveawayBot.F(ctx.Language, t, args);

    private static InlineKeyboardMarkup Buttons(BotContext ctx, params (Localized Label, string Data)[] buttons) =>
        new(buttons.Select(b => new[] { InlineKeyboardButton.WithCallbackData(ctx.T(b.Label), Prefix + b.Data) })
            .Append([InlineKeyboardButton.WithCallbackData(ctx.T(GiveawayTexts.CancelButton), Prefix + "cancel")]));

    public async Task StartAsync(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            // Word for word what any unknown command gets, so nothing hints that the command exists.
            ctx.Reply(string.Format(ctx.T(ConversationTexts.UnknownCommand), ConversationTexts.Html(ctx.Command ?? Command)) + "\n\n" +
                      ctx.T(ConversationTexts.AvailableCommands) + "\n" + pipeline.CommandList(ctx.Language));
            return;
        }
        await ctx.SetStepAsync(TitleStep, new Draft());
        ctx.Reply(ctx.T(GiveawayTexts.NewStart));
    }

    public async Task ButtonAsync(BotContext ctx)
    {
        ctx.AnswerCallback();
        if (!ctx.IsAdmin) { ctx.Status = UpdateStatus.Ignored; return; }
        var data = ctx.CallbackData![Prefix.Length..];
        if (data == "cancel")
        {
            if (await ctx.GetStateAsync() is { } s && s.Step.StartsWith(StepPrefix, StringComparison.Ordinal)) await ctx.ClearStateAsync();
            ctx.Reply(ctx.T(GiveawayTexts.CreationCancelled));
            return;
        }
        await InputAsync(ctx, data, fromButton: true);
    }

    /// <summary>One answer (typed, a photo, or a button's word) to the current step.</summary>
    public async Task InputAsync(BotContext ctx, string input, bool fromButton)
    {
        var state = await ctx.GetStateAsync();
        var draft = await ctx.GetStateDataAsync<Draft>();
        if (!ctx.IsAdmin || state is null || draft is null || !state.Step.StartsWith(StepPrefix, StringComparison.Ordinal))
        {
            if (state?.Step.StartsWith(StepPrefix, StringComparison.Ordinal) == true) await ctx.ClearStateAsync();
            if (fromButton) ctx.Reply(ctx.T(GiveawayTexts.NothingToPublish));
            return;
        }
        var skip = IsSkip(input);
        switch (state.Step)
        {
            case TitleStep:
                if (input.Length is < 1 or > 200 || fromButton) { ctx.Reply(ctx.T(GiveawayTexts.BadTitle)); return; }
                draft.Title = input;
                await Next(ctx, DescriptionStep, draft, GiveawayTexts.AskDescription, (GiveawayTexts.SkipButton, "skip"));
                return;
            case DescriptionStep:
                if (!skip && input.Length > 4000) { ctx.Reply(F(ctx, GiveawayTexts.BadDescription, input.Length), Buttons(ctx, (GiveawayTexts.SkipButton, "skip"))); return; }
                draft.Description = skip ? "" : input;
                await Next(ctx, PrizeStep, draft, GiveawayTexts.AskPrize);
                return;
            case PrizeStep:
                if (input.Length is < 1 or > 1000 || fromButton) { ctx.Reply(ctx.T(GiveawayTexts.BadPrize)); return; }
                draft.Prize = input;
                await Next(ctx, PhotoStep, draft, GiveawayTexts.AskPhoto, (GiveawayTexts.SkipButton, "skip"));
                return;
            case PhotoStep:
                if (!fromButton && ctx.Message?.Photo is { Length: > 0 } sizes) draft.Photo = sizes.MaxBy(p => p.Width * p.Height)!.FileId;
                else if (skip) draft.Photo = null;
                else if (!fromButton && Uri.TryCreate(input, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps && input.Length <= 500) draft.Photo = input;
                else { ctx.Reply(ctx.T(GiveawayTexts.BadPhoto), Buttons(ctx, (GiveawayTexts.SkipButton, "skip"))); return; }
                await Next(ctx, WinnersStep, draft, GiveawayTexts.AskWinners);
                return;
            case WinnersStep:
                if (fromButton || !int.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var winners) || winners is < 1 or > 10_000)
                {
                    ctx.Reply(ctx.T(GiveawayTexts.BadWinners));
                    return;
                }
                draft.WinnerCount = winners;
                await Next(ctx, ChannelsStep, draft, GiveawayTexts.AskChannels, (GiveawayTexts.NoChannelsButton, "skip"));
                return;
            case ChannelsStep:
                if (skip)
                {
                    draft.Channels = [];
                    ctx.Reply(ctx.T(GiveawayTexts.NoChannels));
                    await Next(ctx, StartStep, draft, GiveawayTexts.AskStart, (GiveawayTexts.StartNowButton, "now"));
                    return;
                }
                if (ParseChats(input, MaxChannels) is not { } chats)
                {
                    ctx.Reply(F(ctx, GiveawayTexts.BadChannels, H(FirstBadChat(input))), Buttons(ctx, (GiveawayTexts.NoChannelsButton, "skip")));
                    return;
                }
                await CheckAsync(ctx, draft, chats, postChat: false);
                return;
            case CheckingStep:
                ctx.Reply(ctx.T(GiveawayTexts.StillChecking));
                return;
            case StartStep:
                {
                    var now = ctx.Now;
                    DateTime? start = IsNow(input) ? now : ParseTime(input, now);
                    if (start is null) { ctx.Reply(F(ctx, GiveawayTexts.BadTime, H(input)), Buttons(ctx, (GiveawayTexts.StartNowButton, "now"))); return; }
                    // A minute's grace: an admin typing the current minute means now.
                    if (start < now.AddMinutes(-1)) { ctx.Reply(F(ctx, GiveawayTexts.StartInPast, GiveawayBot.Time(start.Value)), Buttons(ctx, (GiveawayTexts.StartNowButton, "now"))); return; }
                    draft.StartsAt = start < now ? now : start.Value;
                    await Next(ctx, EndStep, draft, GiveawayTexts.AskEnd);
                    return;
                }
            case EndStep:
                {
                    var end = fromButton ? null : ParseTime(input, draft.StartsAt);
                    if (end is null) { ctx.Reply(F(ctx, GiveawayTexts.BadTime, H(input))); return; }
                    if (end <= draft.StartsAt) { ctx.Reply(F(ctx, GiveawayTexts.EndNotAfterStart, GiveawayBot.Time(draft.StartsAt))); return; }
                    if (end <= ctx.Now) { ctx.Reply(F(ctx, GiveawayTexts.EndInPast, GiveawayBot.Time(end.Value))); return; }
                    draft.EndsAt = end.Value;
                    await Next(ctx, ConditionStep, draft, GiveawayTexts.AskCondition, (GiveawayTexts.AtEndTimeButton, "time"));
                    return;
                }
            case ConditionStep:
                if (input is "time" or "0" || IsSkip(input)) draft.EndAfter = null;
                else if (!fromButton && int.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= draft.WinnerCount && n <= 10_000_000) draft.EndAfter = n;
                else { ctx.Reply(F(ctx, GiveawayTexts.BadCondition, draft.WinnerCount), Buttons(ctx, (GiveawayTexts.AtEndTimeButton, "time"))); return; }
                await Next(ctx, PublishStep, draft, GiveawayTexts.AskPublish);
                return;
            case PublishStep:
                if (fromButton || ParseChats(input, 1) is not [var chat]) { ctx.Reply(ctx.T(GiveawayTexts.BadPublishChannel)); return; }
                await CheckAsync(ctx, draft, [chat], postChat: true);
                return;
            case ConfirmStep:
                if (input != "publish") { ctx.Reply(SummaryText(ctx.Language, draft), SummaryButtons(ctx.Language)); return; }
                await PublishAsync(ctx, draft);
                return;
        }
    }

    private static async Task Next(BotContext ctx, string step, Draft draft, Localized question, params (Localized, string)[] buttons)
    {
        await ctx.SetStepAsync(step, draft);
        ctx.Reply(ctx.T(question), Buttons(ctx, buttons));
    }

    private async Task CheckAsync(BotContext ctx, Draft draft, List<string> chats, bool postChat)
    {
        draft.Check++;
        draft.CheckingPostChat = postChat;
        await ctx.SetStepAsync(CheckingStep, draft);
        // getChatMember calls out: the job asks outside this transaction and moves the conversation on.
        AdminCheckJob.Enqueue(jobs, new AdminCheckJob.Payload(ctx.Chat.Channel, ctx.Chat.ChatId, ctx.User.Id, ctx.Language, chats, draft.Check, postChat));
        ctx.Reply(F(ctx, GiveawayTexts.CheckingAdmin, H(string.Join(", ", chats))));
    }

    private async Task PublishAsync(BotContext ctx, Draft d)
    {
        var ct = ctx.CancellationToken;
        var now = ctx.Now;
        if (d.EndsAt <= now)
        {
            await ctx.SetStepAsync(EndStep, d);
            ctx.Reply(F(ctx, GiveawayTexts.EndInPast, GiveawayBot.Time(d.EndsAt)));
            return;
        }
        var g = GiveawayApi.New(new GiveawayApi.GiveawayRequest(d.Title, d.Description, d.Prize, d.WinnerCount, d.StartsAt, d.EndsAt, d.EndAfter,
            d.Photo, d.Channels), now);
        g.Status = GiveawayStatus.Published;
        db.Giveaways.Add(g);
        await db.SaveChangesAsync(ct);
        posts.Publish(g, ctx.Chat.Channel, d.PostChatId!);
        await db.SaveChangesAsync(ct);
        await ctx.ClearStateAsync();
        var link = identity.Username is { Length: > 0 } bot ? $"https://t.me/{bot}?start={GiveawayBot.StartPrefix}{g.Id}" : $"/start {GiveawayBot.StartPrefix}{g.Id}";
        ctx.Reply(F(ctx, GiveawayTexts.Published, g.Id, H(d.PostTitle ?? d.PostChatId), H(link), g.Commitment));
    }

    internal static string SummaryText(string lang, Draft d)
    {
        var channels = d.Channels.Count == 0 ? GiveawayTexts.None.In(lang) : string.Join(", ", d.Channels.Select(c => H(c.Title)));
        var condition = d.EndAfter is { } n ? GiveawayBot.F(lang, GiveawayTexts.AtEndTimeOrN, n) : GiveawayTexts.AtEndTime.In(lang);
        return GiveawayBot.F(lang, GiveawayTexts.Summary, H(d.Title), H(d.Description), H(d.Prize),
            (d.Photo is null ? GiveawayTexts.No : GiveawayTexts.Yes).In(lang), d.WinnerCount, channels, GiveawayBot.Time(d.StartsAt),
            GiveawayBot.Time(d.EndsAt), condition, H(d.PostTitle ?? d.PostChatId));
    }

    internal static InlineKeyboardMarkup SummaryButtons(string lang) => new(new[]
    {
        new[] { InlineKeyboardButton.WithCallbackData(GiveawayTexts.PublishButton.In(lang), Prefix + "publish") },
        new[] { InlineKeyboardButton.WithCallbackData(GiveawayTexts.CancelButton.In(lang), Prefix + "cancel") },
    });

    private static bool IsSkip(string s) => s.ToLowerInvariant() is "skip" or "-" or "none" or "no" or "пропустить" or "нет" or "без каналов";
    private static bool IsNow(string s) => s.ToLowerInvariant() is "now" or "сейчас";

    [GeneratedRegex(@"^@[A-Za-z][A-Za-z0-9_]{3,31}$")]
    private static partial Regex UsernameRx();
    [GeneratedRegex(@"^-\d{1,20}$")]
    private static partial Regex ChatIdRx();
    [GeneratedRegex(@"^(?:https?://)?t\.me/([A-Za-z][A-Za-z0-9_]{3,31})/?$", RegexOptions.IgnoreCase)]
    private static partial Regex LinkRx();
    [GeneratedRegex(@"^(\d{1,5})\s*(m|min|h|d|м|мин|ч|д)$", RegexOptions.IgnoreCase)]
    private static partial Regex DurationRx();

    private static string[] Tokens(string input) => input.Split([' ', '\n', '\r', '\t', ','], StringSplitOptions.RemoveEmptyEntries);

    private static string? Chat(string token) =>
        UsernameRx().IsMatch(token) || ChatIdRx().IsMatch(token) ? token
        : LinkRx().Match(token) is { Success: true } m ? "@" + m.Groups[1].Value
        : null;

    /// <summary>@name, -100… ids and t.me links, distinct, at most <paramref name="max"/>; null when any is not one.</summary>
    internal static List<string>? ParseChats(string input, int max)
    {
        var chats = new List<string>();
        foreach (var t in Tokens(input))
        {
            if (Chat(t) is not { } c) return null;
            if (!chats.Contains(c, StringComparer.OrdinalIgnoreCase)) chats.Add(c);
        }
        return chats.Count is > 0 && chats.Count <= max ? chats : null;
    }

    private static string FirstBadChat(string input) => Tokens(input).FirstOrDefault(t => Chat(t) is null) ?? input;

    private static readonly string[] TimeFormats = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "dd.MM.yyyy HH:mm", "yyyy-MM-dd"];

    /// <summary>A UTC time, or a length (90m, 12h, 7d) counted from <paramref name="from"/>.</summary>
    internal static DateTime? ParseTime(string input, DateTime from)
    {
        var s = input.Trim().TrimStart('+').Trim();
        if (DurationRx().Match(s) is { Success: true } m)
        {
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (n == 0) return null;
            return m.Groups[2].Value.ToLowerInvariant() switch
            {
                "m" or "min" or "м" or "мин" => from.AddMinutes(n),
                "h" or "ч" => from.AddHours(n),
                _ => n > 3660 ? null : from.AddDays(n),
            };
        }
        return DateTime.TryParseExact(s.Replace(" UTC", "", StringComparison.OrdinalIgnoreCase), TimeFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : null;
    }
}

/// <summary>
/// <c>giveaways.check-admin</c>: whether the bot is an admin in the chats an operator named in /newgiveaway
/// (getChatMember with the bot's id, and getChat for the title), outside any transaction; then one short
/// transaction moves the conversation on, or back to the question with the chats that failed.
/// </summary>
public sealed class AdminCheckJob(BazaarDb db, ChatMembers members, Outbox outbox, WriteGate gate, TimeProvider clock,
    IOptions<ConversationOptions> conversations) : JobHandler<AdminCheckJob.Payload>
{
    public const string JobType = "giveaways.check-admin";

    public sealed record Payload(string Channel, string ChatId, long UserId, string Language, List<string> Chats, int Check, bool PostChat)
    {
        public ChatTarget To => new(Channel, ChatId, UserId);
    }

    public static Job Enqueue(JobQueue queue, Payload payload) => queue.Enqueue(JobType, payload, new EnqueueOptions { MaxAttempts = 3 });

    public override async Task HandleAsync(Payload job, JobContext ctx, CancellationToken ct)
    {
        var found = await members.BotStatusesAsync(job.Channel, job.Chats, ct); // outside any transaction
        var lang = job.Language;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (await PendingAsync(job, ct) is not { } pending) return; // cancelled or answered meanwhile
            var (state, draft) = pending;
            var failed = found.Where(f => job.PostChat ? !f.CanPost : !f.IsAdmin).ToList();
            string step;
            if (failed.Count > 0)
            {
                var names = string.Join(", ", failed.Select(f => WebUtility.HtmlEncode(f.Title)));
                outbox.SendText(job.To, job.PostChat ? GiveawayBot.F(lang, GiveawayTexts.CannotPostIn, names) : GiveawayBot.F(lang, GiveawayTexts.NotAdminIn, names),
                    job.PostChat ? null : new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(GiveawayTexts.NoChannelsButton.In(lang), GiveawayCreation.Prefix + "skip")));
                step = job.PostChat ? GiveawayCreation.PublishStep : GiveawayCreation.ChannelsStep;
            }
            else if (job.PostChat)
            {
                draft.PostChatId = found[0].ChatId;
                draft.PostTitle = found[0].Title;
                step = GiveawayCreation.ConfirmStep;
                outbox.SendText(job.To, GiveawayCreation.SummaryText(lang, draft), GiveawayCreation.SummaryButtons(lang));
            }
            else
            {
                draft.Channels = found.Select(f => new GiveawayApi.ChannelRequest(f.ChatId, f.Title, f.Link)).ToList();
                step = GiveawayCreation.StartStep;
                outbox.SendText(job.To, GiveawayBot.F(lang, GiveawayTexts.ChannelsOk, string.Join(", ", found.Select(f => WebUtility.HtmlEncode(f.Title)))));
                outbox.SendText(job.To, GiveawayTexts.AskStart.In(lang), new InlineKeyboardMarkup(new[]
                {
                    new[] { InlineKeyboardButton.WithCallbackData(GiveawayTexts.StartNowButton.In(lang), GiveawayCreation.Prefix + "now") },
                    new[] { InlineKeyboardButton.WithCallbackData(GiveawayTexts.CancelButton.In(lang), GiveawayCreation.Prefix + "cancel") },
                }));
            }
            Move(state, step, draft);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
    }

    /// <summary>Telegram kept failing: back to the question (in the queue's transaction).</summary>
    public override async Task OnFailedAsync(Payload job, JobContext ctx, string error, CancellationToken ct)
    {
        if (await PendingAsync(job, ct) is not { } pending) return;
        var (state, draft) = pending;
        Move(state, job.PostChat ? GiveawayCreation.PublishStep : GiveawayCreation.ChannelsStep, draft);
        outbox.SendText(job.To, GiveawayTexts.AdminCheckFailed.In(job.Language));
        await db.SaveChangesAsync(ct);
    }

    private async Task<(ConversationState, GiveawayCreation.Draft)?> PendingAsync(Payload job, CancellationToken ct)
    {
        var state = await db.ConversationStates.FirstOrDefaultAsync(s => s.Channel == job.Channel && s.ChatId == job.ChatId, ct);
        if (state is null || state.Step != GiveawayCreation.CheckingStep || state.Data is null) return null;
        var draft = JsonSerializer.Deserialize<GiveawayCreation.Draft>(state.Data, JsonSerializerOptions.Web);
        return draft is null || draft.Check != job.Check ? null : (state, draft);
    }

    private void Move(ConversationState state, string step, GiveawayCreation.Draft draft)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        state.Step = step;
        state.Data = JsonSerializer.Serialize(draft, JsonSerializerOptions.Web);
        state.UpdatedAt = now;
        state.ExpiresAt = now.AddMinutes(conversations.Value.StateTtlMinutes);
    }
}
