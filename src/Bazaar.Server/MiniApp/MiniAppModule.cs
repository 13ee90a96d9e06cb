using System.Reflection;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Bazaar.Server.MiniApp;

/// <summary>
/// The Telegram Mini App storefront: the page at /app (static HTML, CSS and vanilla JS embedded in the server), the
/// customer API under /api/v1/app authenticated by signed initData, the bot's menu button, and in Development a
/// sandbox that signs initData for a chosen user.
/// </summary>
public static class MiniAppModule
{
    public static IServiceCollection AddMiniApp(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<MiniAppOptions>(config.GetSection("MiniApp"));
        services.AddSingleton<MiniAppKey>();
        services.AddSingleton<MiniAppLinks>();
        services.AddSingleton<MiniAppMenuButton>();
        services.AddSingleton<MiniAppStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<MiniAppStartup>());
        return services;
    }

    public static IEndpointRouteBuilder MapMiniAppApi(this IEndpointRouteBuilder app)
    {
        app.MapMiniAppCustomerApi();
        app.MapGet("/app", Page).WithName("MiniAppPage").WithTags(MiniAppApi.Tag).WithSummary("The Mini App (an HTML page opened inside Telegram)");
        app.MapGet("/app/{file}", Asset).WithName("MiniAppAsset").WithTags(MiniAppApi.Tag).WithSummary("The Mini App's CSS and JavaScript");
        app.MapGet("/api/v1/app/sandbox", SandboxInfo).AllowAnonymous().WithName("AppSandboxInfo").WithTags(MiniAppApi.Tag)
            .WithSummary("Development only: whether the page may offer its sandbox mode (404 otherwise)");
        app.MapPost("/api/v1/app/sandbox/sign", SandboxSign).AllowAnonymous().WithName("AppSandboxSign").WithTags(MiniAppApi.Tag)
            .WithSummary("Development only: initData signed for a chosen sandbox user, as Telegram would sign it (404 otherwise)");
        return app;
    }

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>
    /// The page, with the bot's username for the "open this inside Telegram" link. Scripts only from here and
    /// Telegram's telegram-web-app.js; API calls only to this server.
    /// </summary>
    internal static IResult Page(HttpContext http, IOptions<TelegramOptions> telegram)
    {
        if (Embedded("index.html") is not { } bytes) return Results.NotFound();
        var bot = telegram.Value.BotUsername?.Trim().TrimStart('@') ?? "";
        var html = System.Text.Encoding.UTF8.GetString(bytes).Replace("{{BOT_USERNAME}}", System.Net.WebUtility.HtmlEncode(bot), StringComparison.Ordinal);
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    internal static Results<FileContentHttpResult, ProblemHttpResult> Asset(string file, HttpContext http)
    {
        if (Embedded(file) is not { } bytes) return Problems.NotFound("not_found", $"The Mini App has no file {file}.");
        if (!ContentTypes.TryGetContentType(file, out var type)) type = "application/octet-stream";
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.File(bytes, type.StartsWith("text/", StringComparison.Ordinal) || type.Contains("javascript") ? type + "; charset=utf-8" : type);
    }

    private static byte[]? Embedded(string file)
    {
        if (file.Contains('/') || file.Contains('\\') || file.StartsWith('.')) return null;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Bazaar.Server.MiniApp.app." + file);
        if (stream is null) return null;
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    public sealed record SandboxView(bool Enabled, IReadOnlyList<SandboxUser> Users);
    public sealed record SandboxUser(long Id, string FirstName, string? Username, string LanguageCode);
    public sealed record SignRequest(long UserId, string? FirstName, string? LastName, string? Username, string? LanguageCode);
    public sealed record SignedInitData(string InitData);

    private static readonly SandboxUser[] Sample =
        [new(1001, "Alice", "alice", "en"), new(1002, "Bob", "bob", "en"), new(1003, "Ivan", "ivan", "ru")];

    internal static Results<Ok<SandboxView>, ProblemHttpResult> SandboxInfo(MiniAppKey key) =>
        key.SandboxEnabled ? TypedResults.Ok(new SandboxView(true, Sample)) : Problems.NotFound("not_found", "The Mini App sandbox is off.");

    /// <summary>
    /// Signs as Telegram would, but with the sandbox's own key (never the bot token), so the sandbox exercises the real
    /// validation and its initData is good only for sandbox users of this server. Names and language default to the
    /// chat sandbox's user of that id. Development only.
    /// </summary>
    internal static async Task<Results<Ok<SignedInitData>, ProblemHttpResult>> SandboxSign(SignRequest request, MiniAppKey key, BazaarDb db,
        TimeProvider clock, CancellationToken ct)
    {
        if (key.SandboxKey is not { } sandboxKey) return Problems.NotFound("not_found", "The Mini App sandbox is off.");
        if (request.UserId <= 0) return Problems.BadRequest("invalid_user", "userId must be a positive number.");
        var external = request.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var known = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Channel == ChatChannel.Sandbox && u.ExternalId == external, ct);
        var sample = Sample.FirstOrDefault(s => s.Id == request.UserId);
        var user = System.Text.Json.JsonSerializer.Serialize(new WebAppUser(request.UserId,
            request.FirstName ?? known?.FirstName ?? sample?.FirstName ?? "Sandbox", request.LastName ?? known?.LastName,
            request.Username ?? known?.Username ?? sample?.Username, request.LanguageCode ?? known?.LanguageCode ?? sample?.LanguageCode ?? "en"));
        var fields = new Dictionary<string, string>
        {
            ["user"] = user,
            ["auth_date"] = clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["query_id"] = "sandbox-" + Secrets.RandomToken(8),
        };
        return TypedResults.Ok(new SignedInitData(InitData.Sign(fields, sandboxKey)));
    }
}

/// <summary>Where the app is reachable from Telegram: MiniApp:Url, else Telegram:PublicUrl + /app; only https counts.</summary>
public sealed class MiniAppLinks(IOptions<MiniAppOptions> options, IOptions<TelegramOptions> telegram, MiniAppKey key)
{
    /// <summary>
    /// The address a chat's "Open shop" button opens: the public https app for a Telegram chat; for the chat sandbox
    /// (Development only) this server's /app signed as the same sandbox user; none for WhatsApp, which has no web apps.
    /// </summary>
    public string? ForChat(string channel, string externalId) => channel switch
    {
        ChatChannel.Telegram => Url,
        ChatChannel.Sandbox when key.SandboxEnabled => "/app?sandbox_user=" + Uri.EscapeDataString(externalId),
        _ => null,
    };

    public string? Url
    {
        get
        {
            var url = !string.IsNullOrWhiteSpace(options.Value.Url) ? options.Value.Url.Trim()
                : !string.IsNullOrWhiteSpace(telegram.Value.PublicUrl) ? telegram.Value.PublicUrl.Trim().TrimEnd('/') + "/app" : null;
            return url is not null && url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? url : null;
        }
    }
}

/// <summary>What happened to the bot's menu button since start-up, for the operators' dashboard: it is set once, at start.</summary>
public sealed class MiniAppMenuButton
{
    public sealed record Attempt(DateTime At, string? Url, bool Set, string Outcome);

    private volatile Attempt? _last;
    public Attempt? Last => _last;
    internal void Record(Attempt a) => _last = a;
}

/// <summary>At start-up, when the app has a public address: the bot's chat menu button opens it (setChatMenuButton).</summary>
public sealed class MiniAppStartup(ITelegramBotClient bot, MiniAppLinks links, IOptions<MiniAppOptions> options, IOptions<TelegramOptions> telegram,
    MiniAppMenuButton state, TimeProvider clock, ILogger<MiniAppStartup> log) : IHostedService
{
    /// <summary>Why the button is not set at start-up, or null when it is to be.</summary>
    public string? SkipReason =>
        telegram.Value.EffectiveMode == TelegramMode.Off ? "Telegram is off (no bot token, or Telegram:Mode is Off)."
        : !options.Value.SetMenuButton ? "MiniApp:SetMenuButton is false."
        : links.Url is null ? "The app has no public https address (MiniApp:Url, or Telegram:PublicUrl + /app)."
        : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (SkipReason is { } reason)
        {
            state.Record(new(clock.GetUtcNow().UtcDateTime, links.Url, false, "Not set at start-up: " + reason));
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await ConfigureAsync(timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            log.LogWarning(ex, "Could not set the bot's menu button to the Mini App");
        }
    }

    /// <summary>Sets the button now (at start-up, or when an operator asks), recording the outcome either way.</summary>
    public async Task ConfigureAsync(CancellationToken ct)
    {
        var url = links.Url!;
        try
        {
            await bot.SetChatMenuButton(menuButton: new MenuButtonWebApp { Text = MiniAppTexts.MenuButton.In(Languages.English), WebApp = new WebAppInfo { Url = url } },
                cancellationToken: ct);
        }
        catch (Exception ex)
        {
            state.Record(new(clock.GetUtcNow().UtcDateTime, url, false, "Telegram refused or did not answer: " + ex.Message));
            throw;
        }
        state.Record(new(clock.GetUtcNow().UtcDateTime, url, true, "Set: the bot's menu button opens the app."));
        log.LogInformation("Bot menu button opens the Mini App at {Url}", url);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
