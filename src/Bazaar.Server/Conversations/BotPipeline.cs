using System.Data.Common;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.Enums;

namespace Bazaar.Server.Conversations;

/// <summary>The bot's own name, for telling "/cmd@ThisBot" from commands meant for another bot in a group.</summary>
public sealed class BotIdentity
{
    public string? Username { get; set; }
}

/// <summary>
/// The channel-independent middleware chain every update runs through:
/// user upsert, blocked check, per-user rate limit, feature middleware, routing.
/// </summary>
public sealed class BotPipeline
{
    private readonly BotRoutes _routes;
    private readonly ConversationOptions _options;
    private readonly IOptions<AdminOptions> _admin;
    private readonly BotIdentity _identity;
    private readonly BotMiddleware[] _chain;
    private readonly RedisLimits? _redis;

    public BotPipeline(IOptions<BotRoutes> routes, IOptions<ConversationOptions> options, IOptions<AdminOptions> admin, BotIdentity identity,
        RedisLimits? redis = null)
    {
        _redis = redis;
        _routes = routes.Value;
        _options = options.Value;
        _admin = admin; // read per update: the owner may change the admin ids in the dashboard
        _identity = identity;
        _chain = [UpsertUser, CheckBlocked, RateLimit, .. _routes.Middleware, (ctx, _) => Route(ctx)];
    }

    public BotRoutes Routes => _routes;

    public Task RunAsync(BotContext ctx) => Invoke(ctx, 0);

    private Task Invoke(BotContext ctx, int i) =>
        i < _chain.Length ? _chain[i](ctx, () => Invoke(ctx, i + 1)) : Task.CompletedTask;

    private async Task UpsertUser(BotContext ctx, Func<Task> next)
    {
        var from = ctx.Info.From;
        if (from is null || from.IsBot)
        {
            ctx.Status = UpdateStatus.Ignored;
            return;
        }
        var now = ctx.Now;
        // One atomic upsert (two updates of one user in two chats may run at once), read back as a tracked entity.
        var cmd = ctx.Db.HotCommand(UpsertUserSql, "@c", "@x", "@u", "@f", "@l", "@lang", "@now", "@blocked");
        var user = new ChatUser
        {
            Channel = ctx.Channel, ExternalId = from.Id.ToString(), Username = Cut(from.Username, 64), FirstName = Cut(from.FirstName, 128) ?? "",
            LastName = Cut(from.LastName, 128), LanguageCode = Languages.FromCode(from.LanguageCode), LastSeenAt = now,
        };
        var ps = cmd.Parameters;
        ps[0].Value = user.Channel;
        ps[1].Value = user.ExternalId;
        ps[2].Value = Db(user.Username);
        ps[3].Value = user.FirstName;
        ps[4].Value = Db(user.LastName);
        ps[5].Value = user.LanguageCode;
        ps[6].Value = now;
        ps[7].Value = false;
        await using (var r = await cmd.ExecuteReaderAsync(ctx.CancellationToken))
        {
            await r.ReadAsync(ctx.CancellationToken);
            user.Id = r.GetInt64(0);
            user.CreatedAt = DateTime.SpecifyKind(r.GetDateTime(1), DateTimeKind.Utc);
            user.IsBlocked = r.GetBoolean(2);
            user.BlockedAt = r.IsDBNull(3) ? null : DateTime.SpecifyKind(r.GetDateTime(3), DateTimeKind.Utc);
        }
        // Attached as it is now in the database: a handler's changes to it are saved, columns it does not know are left alone.
        ctx.Db.Users.Attach(user);
        ctx.User = user;
        ctx.IsAdmin = _admin.Value.TelegramAdminIds.Contains(from.Id);
        ctx.Chat = new ChatTarget(ctx.Channel, ctx.Info.ChatId ?? from.Id.ToString(), ctx.User.Id);
        await next();
    }

    private const string UpsertUserSql = """
        INSERT INTO users ("Channel", "ExternalId", "Username", "FirstName", "LastName", "LanguageCode", "CreatedAt", "LastSeenAt", "IsBlocked")
        VALUES (@c, @x, @u, @f, @l, @lang, @now, @now, @blocked)
        ON CONFLICT ("Channel", "ExternalId") DO UPDATE SET
          "Username" = excluded."Username", "FirstName" = excluded."FirstName", "LastName" = excluded."LastName",
          "LanguageCode" = excluded."LanguageCode", "LastSeenAt" = excluded."LastSeenAt"
        RETURNING "Id", "CreatedAt", "IsBlocked", "BlockedAt"
        """;

    private const string RateLimitSql = """
        INSERT INTO rate_limits ("Channel", "UserId", "WindowStart", "Count") VALUES (@c, @u, @now, 1)
        ON CONFLICT ("Channel", "UserId") DO UPDATE SET
          "Count" = CASE WHEN rate_limits."WindowStart" > @cutoff THEN rate_limits."Count" + 1 ELSE 1 END,
          "WindowStart" = CASE WHEN rate_limits."WindowStart" > @cutoff THEN rate_limits."WindowStart" ELSE @now END
        RETURNING "Count", "WindowStart"
        """;

    private static object Db(string? s) => (object?)s ?? DBNull.Value;
    private static string? Cut(string? s, int max) => s is null || s.Length <= max ? s : s[..max];

    /// <summary>
    /// A user who blocks the bot shows up as my_chat_member "kicked"; writing to the bot again unblocks.
    /// Nothing is handled for a blocked user.
    /// </summary>
    private static async Task CheckBlocked(BotContext ctx, Func<Task> next)
    {
        if (ctx.Update.MyChatMember is { } m && m.Chat.Type == ChatType.Private)
        {
            var blocked = m.NewChatMember.Status is ChatMemberStatus.Kicked;
            ctx.User.IsBlocked = blocked;
            ctx.User.BlockedAt = blocked ? ctx.Now : null;
            return;
        }
        if (ctx.User.IsBlocked)
        {
            // A pre-checkout must be answered within 10 s, so paying counts as writing again too.
            if (ctx.Update.Type is UpdateType.Message or UpdateType.CallbackQuery or UpdateType.PreCheckoutQuery)
            {
                ctx.User.IsBlocked = false;
                ctx.User.BlockedAt = null;
            }
            else
            {
                ctx.Status = UpdateStatus.Ignored;
                return;
            }
        }
        await next();
    }

    /// <summary>
    /// Commands per user per minute, and button presses on a limit of their own (a burst per second and a count per
    /// minute), so browsing never trips the command limit. Each counter is one upsert in the update's own transaction
    /// (or, with Redis:Connection set, one atomic script in Redis), so concurrent workers, instances and restarts see the
    /// same count; the update that first goes over a limit gets the one polite reply of its window. Plain text is not
    /// counted. An unreachable Redis lets the update through (logged): a chat must not stop answering for a lost counter.
    /// </summary>
    private async Task RateLimit(BotContext ctx, Func<Task> next)
    {
        var o = _options.RateLimit;
        if (ctx.IsAdmin)
        {
            await next();
            return;
        }
        var userId = ctx.User.ExternalId;
        Over? over = null;
        if (ctx.Update.Type == UpdateType.CallbackQuery)
        {
            // Presses are keyed apart from commands ("b:" and "b1:" prefixes) in the same table.
            over = await CountAsync(ctx, "b1:" + userId, 1_000, o.ButtonsPerSecond) ?? await CountAsync(ctx, "b:" + userId, 60_000, o.ButtonsPerMinute);
        }
        else if (ctx.Info.Command is not null)
        {
            over = await CountAsync(ctx, userId, 60_000, o.PerMinute);
        }
        if (over is null)
        {
            await next();
            return;
        }
        ctx.Status = UpdateStatus.RateLimited;
        var text = string.Format(ctx.T(ConversationTexts.SlowDown), over.Value.Seconds);
        if (ctx.Update.CallbackQuery is not null) ctx.AnswerCallback(over.Value.First ? text : null);
        else if (over.Value.First) ctx.Reply(text);
    }

    private readonly record struct Over(bool First, int Seconds);

    /// <summary>Counts one event in the key's fixed window; says whether it went over the limit (null when not, or no limit).</summary>
    private async Task<Over?> CountAsync(BotContext ctx, string key, long window, int limit)
    {
        if (limit <= 0) return null;
        var nowMs = ctx.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_redis is not null)
        {
            try
            {
                var (n, from) = await _redis.CountAsync(ctx.Channel, key, nowMs, window, ctx.CancellationToken);
                return n <= limit ? null : new Over(n == limit + 1, Math.Max(1, (int)Math.Ceiling((from + window - nowMs) / 1000.0)));
            }
            catch (Exception e) when (RedisLimits.IsOutage(e))
            {
                return null; // RedisLimits logged the outage once; the update goes on unlimited
            }
        }
        var cmd = ctx.Db.HotCommand(RateLimitSql, "@c", "@u", "@now", "@cutoff");
        cmd.Parameters[0].Value = ctx.Channel;
        cmd.Parameters[1].Value = key;
        cmd.Parameters[2].Value = nowMs;
        cmd.Parameters[3].Value = nowMs - window;
        int count;
        long start;
        await using (var r = await cmd.ExecuteReaderAsync(ctx.CancellationToken))
        {
            await r.ReadAsync(ctx.CancellationToken);
            count = Convert.ToInt32(r.GetValue(0));
            start = Convert.ToInt64(r.GetValue(1));
        }
        if (count <= limit) return null;
        return new Over(count == limit + 1, Math.Max(1, (int)Math.Ceiling((start + window - nowMs) / 1000.0)));
    }

    private async Task Route(BotContext ctx)
    {
        var u = ctx.Update;
        switch (u.Type)
        {
            case UpdateType.PreCheckoutQuery:
                var pq = u.PreCheckoutQuery!;
                if (_routes.FindPreCheckout(pq.InvoicePayload) is { } pre) await pre(ctx);
                else ctx.Outbox.AnswerPreCheckout(ctx.Chat, pq.Id, ctx.T(ConversationTexts.PaymentUnavailable));
                return;
            case UpdateType.CallbackQuery:
                if (_routes.FindCallback(u.CallbackQuery!.Data ?? "") is { } cb) await cb(ctx);
                else ctx.AnswerCallback(ctx.T(ConversationTexts.ButtonExpired));
                return;
            case UpdateType.Message:
                await RouteMessage(ctx, u.Message!);
                return;
            default:
                ctx.Status = UpdateStatus.Ignored;
                return;
        }
    }

    private async Task RouteMessage(BotContext ctx, global::Telegram.Bot.Types.Message m)
    {
        if (m.SuccessfulPayment is { } paid)
        {
            if (_routes.FindPayment(paid.InvoicePayload) is { } pay) await pay(ctx);
            else ctx.Status = UpdateStatus.Ignored;
            return;
        }
        if (ctx.Info.Command is { } command && m.Text is { } text)
        {
            var (addressedTo, args) = SplitCommand(text);
            if (addressedTo is not null && _identity.Username is { } me && !addressedTo.Equals(me, StringComparison.OrdinalIgnoreCase))
            {
                ctx.Status = UpdateStatus.Ignored; // meant for another bot in the group
                return;
            }
            ctx.Command = command;
            ctx.Args = args;
            if (command == "start" && args.Length > 0 && _routes.FindStartPayload(args) is { } deepLink)
            {
                await deepLink(ctx);
                return;
            }
            if (_routes.FindCommand(command) is { } route)
            {
                await route.Handler(ctx);
                return;
            }
            ctx.Reply(string.Format(ctx.T(ConversationTexts.UnknownCommand), ConversationTexts.Html(command)) + "\n\n" +
                ctx.T(ConversationTexts.AvailableCommands) + "\n" + CommandList(ctx.Language));
            return;
        }
        if (await ctx.GetStateAsync() is { } state && _routes.FindStep(state.Step) is { } step)
        {
            await step(ctx);
            return;
        }
        if (ctx.IsPrivateChat && (m.Text is not null || m.Photo is not null || m.Document is not null))
            ctx.Reply(ctx.T(ConversationTexts.NotUnderstood));
        else
            ctx.Status = UpdateStatus.Ignored;
    }

    /// <summary>"/cmd@Bot rest" => ("Bot", "rest").</summary>
    internal static (string? AddressedTo, string Args) SplitCommand(string text)
    {
        var space = text.IndexOfAny([' ', '\n']);
        var head = space < 0 ? text : text[..space];
        var args = space < 0 ? "" : text[(space + 1)..].Trim();
        var at = head.IndexOf('@');
        return (at < 0 ? null : head[(at + 1)..], args);
    }

    /// <summary>"/name — description" lines for every listed command, in the user's language.</summary>
    public string CommandList(string language) => string.Join("\n", _routes.Commands.Where(c => !c.Hidden)
        .Select(c => c.Description is null ? $"/{c.Name}" : $"/{c.Name} — {ConversationTexts.Html(c.Description.In(language))}"));
}
