using System.Globalization;
using System.Security.Cryptography;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.MiniApp;

/// <summary>
/// The keys initData is checked with. Telegram's is the bot token. The Development sandbox signs with a random key of
/// its own, made at start-up and never the bot token, so sandbox-signed initData can never pass as a Telegram user's
/// here or on any other server that shares the token; which key matched decides the channel.
/// </summary>
public sealed class MiniAppKey(IOptions<TelegramOptions> telegram, IOptions<MiniAppOptions> options, IHostEnvironment env)
{
    private readonly string _sandboxKey = "sandbox:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>Only in Development (MiniApp:Sandbox=false turns it off there); no setting turns it on elsewhere.</summary>
    public bool SandboxEnabled => env.IsDevelopment() && options.Value.Sandbox != false;

    public string? BotToken => string.IsNullOrWhiteSpace(telegram.Value.BotToken) ? null : telegram.Value.BotToken;

    public string? SandboxKey => SandboxEnabled ? _sandboxKey : null;

    /// <summary>Telegram's check first; then, in Development only, the sandbox's. The result says which channel signed.</summary>
    public (InitDataResult Result, string Channel)? Validate(string? initData, DateTime now, TimeSpan maxAge)
    {
        if (BotToken is null && SandboxKey is null) return null;
        InitDataResult? result = null;
        if (BotToken is { } token)
        {
            result = InitData.Validate(initData, token, now, maxAge);
            if (result.Ok || result.Error != InitData.Tampered || SandboxKey is null) return (result, ChatChannel.Telegram);
        }
        var sandbox = InitData.Validate(initData, SandboxKey!, now, maxAge);
        // A failure reports Telegram's verdict where there is a bot token: the sandbox is a Development convenience.
        return sandbox.Ok || result is null ? (sandbox, ChatChannel.Sandbox) : (result, ChatChannel.Telegram);
    }
}

/// <summary>
/// The customer a Mini App request comes from: only ever taken from validated initData. Parameters are bound before
/// endpoint filters run, so this reads what <see cref="MiniAppAuth.Filter"/> stored when the handler asks.
/// </summary>
public sealed class MiniAppCaller
{
    private const string Key = "bazaar.miniapp.caller";
    private sealed record Validated(ChatUser User, ValidInitData InitData);

    private readonly HttpContext _http;
    private MiniAppCaller(HttpContext http) => _http = http;

    private Validated Value => _http.Items[Key] as Validated ?? throw new InvalidOperationException("No validated initData on this request.");
    public ChatUser User => Value.User;
    public ValidInitData InitData => Value.InitData;
    public long UserId => User.Id;

    internal static void Store(HttpContext http, ChatUser user, ValidInitData data) => http.Items[Key] = new Validated(user, data);

    public static ValueTask<MiniAppCaller?> BindAsync(HttpContext http) => ValueTask.FromResult<MiniAppCaller?>(new MiniAppCaller(http));
}

/// <summary>
/// <c>Authorization: tma &lt;initData&gt;</c> on every /api/v1/app route: validated (<see cref="InitData"/>), then the
/// Telegram user is found or created as a chat user, as the bot would on their first message. Anything else is a 401
/// ProblemDetails: <c>init_data_missing</c>, <c>init_data_tampered</c> or <c>init_data_expired</c>.
/// </summary>
public static class MiniAppAuth
{
    public const string Scheme = "tma";

    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var http = ctx.HttpContext;
        var sp = http.RequestServices;
        var key = sp.GetRequiredService<MiniAppKey>();
        string? header = http.Request.Headers.Authorization;
        string? initData = null;
        if (header is not null && header.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase)) initData = header[(Scheme.Length + 1)..].Trim();
        var clock = sp.GetRequiredService<TimeProvider>();
        var maxAge = TimeSpan.FromSeconds(Math.Max(1, sp.GetRequiredService<IOptions<MiniAppOptions>>().Value.MaxAgeSeconds));
        if (key.Validate(initData, clock.GetUtcNow().UtcDateTime, maxAge) is not var (result, channel))
            return Problems.Make(503, "Service unavailable", "mini_app_not_configured", "The Mini App needs Telegram:BotToken to check initData.");
        if (!result.Ok) return Unauthorized(result.Error!);

        var data = result.Data!;
        // A sandbox-signed user is the chat sandbox's user of that id (their chat history and demo data), never Telegram's.
        var user = await UpsertUserAsync(sp.GetRequiredService<BazaarDb>(), channel, data.User, clock.GetUtcNow().UtcDateTime, http.RequestAborted);
        if (user.IsBlocked)
            return Problems.Make(403, "Forbidden", "user_blocked", "This account has blocked the bot; start the bot again in Telegram first.");
        MiniAppCaller.Store(http, user, data);
        return await next(ctx);
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Unauthorized(string code) => Problems.Make(401, "Unauthorized", code, code switch
    {
        InitData.Missing => "Send the Mini App's initData: Authorization: tma <initData>. Open the shop inside Telegram.",
        InitData.Expired => "The initData is too old; close and reopen the shop in Telegram.",
        _ => "The initData's signature does not match; it was changed or signed for another bot.",
    });

    /// <summary>The chat user for a Telegram user, created on first sight; names and language follow Telegram's.</summary>
    private static async Task<ChatUser> UpsertUserAsync(BazaarDb db, string channel, WebAppUser u, DateTime now, CancellationToken ct)
    {
        var external = u.Id.ToString(CultureInfo.InvariantCulture);
        var first = Cut(u.FirstName, 128) ?? "";
        var last = Cut(u.LastName, 128);
        var username = Cut(u.Username, 64);
        var lang = Languages.FromCode(u.LanguageCode);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(x => x.Channel == channel && x.ExternalId == external, ct);
        // Most requests change nothing: no write unless a name or the language changed, or a minute has passed.
        if (user is not null && user.FirstName == first && user.LastName == last && user.Username == username && user.LanguageCode == lang
            && now - user.LastSeenAt < TimeSpan.FromMinutes(1))
            return user;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO users ("Channel", "ExternalId", "Username", "FirstName", "LastName", "LanguageCode", "CreatedAt", "LastSeenAt", "IsBlocked")
            VALUES ({channel}, {external}, {username}, {first}, {last}, {lang}, {now}, {now}, {false})
            ON CONFLICT ("Channel", "ExternalId") DO UPDATE SET
              "Username" = excluded."Username", "FirstName" = excluded."FirstName", "LastName" = excluded."LastName",
              "LanguageCode" = excluded."LanguageCode", "LastSeenAt" = excluded."LastSeenAt"
            """, ct);
        return await db.Users.AsNoTracking().FirstAsync(x => x.Channel == channel && x.ExternalId == external, ct);
    }

    private static string? Cut(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
