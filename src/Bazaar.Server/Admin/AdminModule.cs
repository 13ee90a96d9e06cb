using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Admin;

public static class AdminModule
{
    public const string Policy = "admin";

    public static IServiceCollection AddAdmin(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<AdminOptions>(config.GetSection("Admin"));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole("admin"));
        services.AddScoped<IStartupSeed, OperatorSeed>();
        return services;
    }

    /// <summary>A route group under /api/v1/admin that only an authenticated operator or API key reaches.</summary>
    public static RouteGroupBuilder MapAdminGroup(this IEndpointRouteBuilder app, string prefix, string tag) =>
        app.MapGroup("/api/v1/admin" + prefix).RequireAuthorization(Policy).WithTags(tag);

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapAdminGroup("/api-keys", "Admin");
        keys.MapGet("/", ListKeys).WithName("ListApiKeys").WithSummary("API keys (without their secrets)");
        keys.MapPost("/", CreateKey).WithName("CreateApiKey").WithSummary("Create an API key; the key is shown once");
        keys.MapDelete("/{id:long}", RevokeKey).WithName("RevokeApiKey").WithSummary("Revoke an API key");

        var users = app.MapAdminGroup("/users", "Admin");
        users.MapGet("/", ListUsers).WithName("ListChatUsers").WithSummary("Chat users, newest first");
        users.MapGet("/{id:long}", GetUser).WithName("GetChatUser").WithSummary("One chat user");
        return app;
    }

    public sealed record ApiKeyView(long Id, string Name, string KeyId, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt, string? CreatedBy);
    public sealed record CreateApiKeyRequest(string Name);
    public sealed record CreatedApiKey(long Id, string Name, string Key);
    public sealed record ChatUserView(long Id, string Channel, string ExternalId, string? Username, string DisplayName,
        string LanguageCode, DateTime CreatedAt, DateTime LastSeenAt, bool IsBlocked);

    internal static async Task<Ok<List<ApiKeyView>>> ListKeys(BazaarDb db, CancellationToken ct) =>
        TypedResults.Ok(await db.ApiKeys.OrderBy(k => k.Id)
            .Select(k => new ApiKeyView(k.Id, k.Name, k.KeyId, k.CreatedAt, k.LastUsedAt, k.RevokedAt, k.CreatedBy))
            .ToListAsync(ct));

    internal static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> CreateKey(
        CreateApiKeyRequest request, BazaarDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 128)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                { ["name"] = ["Give the key a name of 1 to 128 characters."] });
        var (plain, keyId, hash) = ApiKeys.Generate();
        var key = new ApiKey
        {
            Name = request.Name.Trim(), KeyId = keyId, SecretHash = hash,
            CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = http.User.Identity?.Name,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/admin/api-keys/{key.Id}", new CreatedApiKey(key.Id, key.Name, plain));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(long id, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var n = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct);
        return n == 0 ? Problems.NotFound("api_key_not_found", $"There is no active API key {id}.") : TypedResults.NoContent();
    }

    internal static async Task<Ok<Paged<ChatUserView>>> ListUsers(BazaarDb db, CancellationToken ct,
        int page = 1, int pageSize = 50, string? search = null)
    {
        var q = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim();
            q = q.Where(u => u.ExternalId == s || (u.Username != null && u.Username.Contains(s)) ||
                             (u.FirstName != null && u.FirstName.Contains(s)));
        }
        return TypedResults.Ok(await Paged<ChatUserView>.Of(q.OrderByDescending(u => u.Id).Select(u => new ChatUserView(
            u.Id, u.Channel, u.ExternalId, u.Username,
            (u.FirstName ?? "") + (u.LastName != null ? " " + u.LastName : ""),
            u.LanguageCode, u.CreatedAt, u.LastSeenAt, u.IsBlocked)), page, pageSize, ct));
    }

    internal static async Task<Results<Ok<ChatUserView>, ProblemHttpResult>> GetUser(long id, BazaarDb db, CancellationToken ct,
        string? channel = null)
    {
        if (ChatUserIds.BadChannel(channel) is { } bad) return bad;
        var internalId = await ChatUserIds.ResolveAsync(db, id, channel, ct);
        var u = internalId is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(x => x.Id == internalId, ct);
        return u is null
            ? ChatUserIds.NotFound(id, channel)
            : TypedResults.Ok(new ChatUserView(u.Id, u.Channel, u.ExternalId, u.Username, u.DisplayName,
                u.LanguageCode, u.CreatedAt, u.LastSeenAt, u.IsBlocked));
    }
}

/// <summary>
/// Admin routes name a chat user by Bazaar's id, or with <c>?channel=telegram</c> (whatsapp, sandbox) by the id that
/// channel shows the operator: the Telegram user id or the WhatsApp number.
/// </summary>
public static class ChatUserIds
{
    private static readonly string[] Channels = [ChatChannel.Telegram, ChatChannel.WhatsApp, ChatChannel.Sandbox, ChatChannel.SandboxWhatsApp];

    public static ProblemHttpResult? BadChannel(string? channel) =>
        string.IsNullOrWhiteSpace(channel) || Channels.Contains(channel.Trim().ToLowerInvariant()) ? null
            : Problems.BadRequest("invalid_channel", $"channel must be one of {string.Join(", ", Channels)}.");

    public static async Task<long?> ResolveAsync(BazaarDb db, long id, string? channel, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(channel)) return await db.Users.AnyAsync(u => u.Id == id, ct) ? id : null;
        var ch = channel.Trim().ToLowerInvariant();
        var external = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await db.Users.Where(u => u.Channel == ch && u.ExternalId == external).Select(u => (long?)u.Id).FirstOrDefaultAsync(ct);
    }

    public static ProblemHttpResult NotFound(long id, string? channel) => string.IsNullOrWhiteSpace(channel)
        ? Problems.NotFound("user_not_found", $"There is no chat user with Bazaar id {id}. For the id Telegram or WhatsApp shows, add ?channel=telegram (or whatsapp, sandbox).")
        : Problems.NotFound("user_not_found", $"No {channel.Trim().ToLowerInvariant()} user {id} has talked to the bot yet.");
}
