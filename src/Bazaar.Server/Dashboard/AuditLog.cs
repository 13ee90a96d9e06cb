using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bazaar.Server.Data;

namespace Bazaar.Server.Dashboard;

/// <summary>Writes who did what in the dashboard, with the state before and after.</summary>
public sealed class AuditLog(BazaarDb db, TimeProvider clock, IHttpContextAccessor http)
{
    // Enums by name: the audit page is read by people.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task WriteAsync(string action, string? target, object? before, object? after, CancellationToken ct)
    {
        var ctx = http.HttpContext;
        var user = ctx?.User ?? new ClaimsPrincipal();
        db.AuditLog.Add(new AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            Actor = Cut(user.Identity?.Name ?? "unknown", 64),
            ActorRole = user.FindFirstValue(ClaimTypes.Role) ?? "",
            Action = action,
            Target = target,
            Before = Serialize(before),
            After = Serialize(after),
            RemoteIp = ctx?.Connection.RemoteIpAddress?.ToString(),
        });
        await db.SaveChangesAsync(ct);
    }

    private static string? Serialize(object? v) => v switch
    {
        null => null,
        string s => Cut(s, 4000),
        _ => Cut(JsonSerializer.Serialize(v, Json), 4000),
    };

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];
}
