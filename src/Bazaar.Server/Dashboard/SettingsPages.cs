using System.Reflection;
using System.Text;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Payments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Owner only. Operators and API keys change here; what is configuration or compiled in today (admin Telegram ids,
/// payment methods, bot texts) is shown read-only with where it is set, never as a switch that does nothing.
/// </summary>
internal static class SettingsPages
{
    public static async Task<IResult> Show(HttpContext http, BazaarDb db, IOptions<AdminOptions> admin, IOptions<PaymentsOptions> payments,
        TimeProvider clock, CancellationToken ct, string? newKey = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var ops = await db.Operators.AsNoTracking().OrderBy(o => o.Id).ToListAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync(ct);
        var me = DashboardAuth.Actor(http.User);
        var sb = new StringBuilder();

        sb.Append("<section class=\"card\" id=\"operators\"><h2>Operators</h2><div class=\"scroll\"><table><thead><tr><th>Username</th><th>Role</th><th>Status</th><th>Last sign-in</th><th></th></tr></thead><tbody>");
        foreach (var o in ops)
        {
            var state = o.DisabledAt is not null ? Badge("DISABLED") : o.LockedUntil > now ? Badge("LOCKED") : Badge("ACTIVE");
            var actions = o.Username == me ? "<span class=\"muted\">you</span>" :
                $"""
                <form method="post" action="/admin/settings/operators/{o.Id}/role" class="inline">{Csrf(http)}
                  <select name="role" aria-label="Role of {E(o.Username)}">{string.Join("", OperatorRoles.All.Select(r => $"<option{(r == o.Role ? " selected" : "")}>{r}</option>"))}</select>
                  <button class="btn btn-small" type="submit">Set role</button></form>
                {(o.DisabledAt is null
                    ? Button(http, $"/admin/settings/operators/{o.Id}/disable", "Disable", "btn btn-small btn-danger", $"Disable {o.Username}? Their sessions end at once.")
                    : Button(http, $"/admin/settings/operators/{o.Id}/enable", "Enable", "btn btn-small"))}
                """;
            sb.Append($"<tr><td>{E(o.Username)}</td><td>{E(o.Role)}</td><td>{state}</td><td>{Time(o.LastLoginAt)}</td><td>{actions}</td></tr>");
        }
        sb.Append($"""
            </tbody></table></div>
            <form method="post" action="/admin/settings/operators" class="filters">{Csrf(http)}
              <input name="username" required maxlength="64" placeholder="username" autocomplete="off" aria-label="New operator's username">
              <input name="password" type="password" required minlength="10" maxlength="256" placeholder="password (10+ characters)" autocomplete="new-password" aria-label="Password">
              <select name="role" aria-label="Role">{string.Join("", OperatorRoles.All.Select(r => $"<option{(r == OperatorRoles.Support ? " selected" : "")}>{r}</option>"))}</select>
              <button class="btn btn-primary" type="submit">Add operator</button>
            </form>
            <p class="muted small">owner: everything · manager: everything but settings and balance adjustments · support: read-only, plus deposits (and orders)</p>
            </section>
            """);

        sb.Append("<section class=\"card\" id=\"api-keys\"><h2>API keys</h2>");
        if (!string.IsNullOrEmpty(newKey))
            sb.Append($"<div class=\"flash flash-ok\" role=\"status\">The new key, shown only now, copy it: <code class=\"secret\" id=\"new-key\">{E(newKey)}</code></div>");
        sb.Append("<div class=\"scroll\"><table><thead><tr><th>Name</th><th>Key id</th><th>Created</th><th>Last used</th><th>Status</th><th></th></tr></thead><tbody>");
        foreach (var k in keys)
            sb.Append($"<tr><td>{E(k.Name)}</td><td><code>bzk_{E(k.KeyId)}_…</code></td><td>{Time(k.CreatedAt)} {E(k.CreatedBy)}</td><td>{Time(k.LastUsedAt)}</td>" +
                      $"<td>{(k.RevokedAt is null ? Badge("ACTIVE") : Badge("REVOKED"))}</td>" +
                      $"<td>{(k.RevokedAt is null ? Button(http, $"/admin/settings/api-keys/{k.Id}/revoke", "Revoke", "btn btn-small btn-danger", $"Revoke {k.Name}? Integrations using it stop working.") : "")}</td></tr>");
        if (keys.Count == 0) sb.Append("<tr><td colspan=\"6\" class=\"muted\">No keys yet.</td></tr>");
        sb.Append($"""
            </tbody></table></div>
            <form method="post" action="/admin/settings/api-keys" class="filters">{Csrf(http)}
              <input name="name" required maxlength="128" placeholder="what it is for" aria-label="Key name">
              <button class="btn btn-primary" type="submit">Create key</button>
            </form>
            </section>
            """);

        var ids = admin.Value.TelegramAdminIds;
        sb.Append($"""
            <section class="card"><h2>Admin Telegram ids <span class="badge badge-muted">READ-ONLY</span></h2>
            <p>{(ids.Count == 0 ? "<span class=\"muted\">none</span>" : string.Join(", ", ids.Order().Select(i => $"<code>{i}</code>")))}</p>
            <p class="muted small">Set in configuration (<code>Admin:TelegramIds</code>, comma-separated); a restart applies a change.</p></section>
            """);

        var p = payments.Value;
        sb.Append("<section class=\"card\"><h2>Payment methods <span class=\"badge badge-muted\">READ-ONLY</span></h2><table><thead><tr><th>Method</th><th>State</th><th>Turned on by</th></tr></thead><tbody>");
        foreach (var m in Enum.GetValues<PaymentMethod>())
            sb.Append($"<tr><td>{E(m.WireName())}</td><td>{(p.IsEnabled(m) ? Badge("ON") : "<span class=\"badge badge-muted\">OFF</span>")}</td><td class=\"small\"><code>{E(ConfigKey(m))}</code></td></tr>");
        sb.Append("</tbody></table><p class=\"muted small\">Methods follow their keys in configuration; a restart applies a change.</p></section>");

        sb.Append("<section class=\"card\"><h2>Bot texts <span class=\"badge badge-muted\">READ-ONLY</span></h2><p class=\"muted small\">Compiled into each feature's <code>*Texts.cs</code> (English and Russian); editing them here is not available yet.</p><details><summary>Show all texts</summary><div class=\"scroll\"><table><thead><tr><th>Text</th><th>English</th><th>Русский</th></tr></thead><tbody>");
        foreach (var (name, text) in BotTexts())
            sb.Append($"<tr><td><code>{E(name)}</code></td><td class=\"small\">{E(text.En)}</td><td class=\"small\">{E(text.Ru)}</td></tr>");
        sb.Append("</tbody></table></div></details></section>");
        return Page(http, "Settings", "settings", sb.ToString());
    }

    private static string ConfigKey(PaymentMethod m) => m switch
    {
        PaymentMethod.ManualBank => "Payments:Manual:Instructions:Bank",
        PaymentMethod.ManualBlik => "Payments:Manual:Instructions:Blik",
        PaymentMethod.Btc => "Payments:Crypto:Btc:Xpub",
        PaymentMethod.Ltc => "Payments:Crypto:Ltc:Xpub",
        PaymentMethod.Stars => "Payments:Stars:Enabled",
        PaymentMethod.Stripe => "Payments:Stripe:SecretKey",
        _ => "Payments:Robokassa:MerchantLogin + Password1",
    };

    /// <summary>Every static <see cref="Localized"/> text of the features, by class and field.</summary>
    internal static IEnumerable<(string Name, Localized Text)> BotTexts() =>
        typeof(SettingsPages).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Texts", StringComparison.Ordinal))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.FieldType == typeof(Localized))
                .Select(f => ($"{t.Name}.{f.Name}", (Localized)f.GetValue(null)!)));

    public static async Task<IResult> CreateKey(HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var result = await AdminModule.CreateKey(new AdminModule.CreateApiKeyRequest(form["name"].ToString()), db, clock, http, ct);
        if (result.Result is not Created<AdminModule.CreatedApiKey> created)
            return RedirectWith(http, "/admin/settings#api-keys", "Give the key a name of 1 to 128 characters.", error: true);
        await audit.WriteAsync("api_key.create", $"api_key:{created.Value!.Id}", null, new { name = created.Value.Name }, ct);
        // Rendered straight away rather than redirected, so the plain key never sits in a URL, cookie or log.
        return await Show(http, db, http.RequestServices.GetRequiredService<IOptions<AdminOptions>>(),
            http.RequestServices.GetRequiredService<IOptions<PaymentsOptions>>(), clock, ct, created.Value.Key);
    }

    public static async Task<IResult> RevokeKey(long id, HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var result = await AdminModule.RevokeKey(id, db, clock, ct);
        if (result.Result is not NoContent) return RedirectWith(http, "/admin/settings#api-keys", $"There is no active API key {id}.", error: true);
        await audit.WriteAsync("api_key.revoke", $"api_key:{id}", new { revoked = false }, new { revoked = true }, ct);
        return RedirectWith(http, "/admin/settings#api-keys", "The key is revoked.");
    }

    public static async Task<IResult> CreateOperator(HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var username = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        var role = form["role"].ToString();
        const string back = "/admin/settings#operators";
        if (username.Length is 0 or > 64 || username.Any(char.IsWhiteSpace))
            return RedirectWith(http, back, "A username is 1 to 64 characters without spaces.", error: true);
        if (password.Length is < 10 or > 256) return RedirectWith(http, back, "A password needs at least 10 characters.", error: true);
        if (!OperatorRoles.IsValid(role)) return RedirectWith(http, back, "Choose owner, manager or support.", error: true);
        var op = new Operator { Username = username, PasswordHash = PasswordHash.Create(password), Role = role, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Operators.Add(op);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            return RedirectWith(http, back, $"There is already an operator {username}.", error: true);
        }
        await audit.WriteAsync("operator.create", $"operator:{op.Id}", null, new { username, role }, ct);
        return RedirectWith(http, back, $"Operator {username} ({role}) can sign in now.");
    }

    public static Task<IResult> DisableOperator(long id, HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct) =>
        SetDisabled(id, true, http, db, clock, audit, ct);

    public static Task<IResult> EnableOperator(long id, HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct) =>
        SetDisabled(id, false, http, db, clock, audit, ct);

    private static async Task<IResult> SetDisabled(long id, bool disable, HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        const string back = "/admin/settings#operators";
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == id, ct);
        if (op is null) return RedirectWith(http, back, $"There is no operator {id}.", error: true);
        if (op.Username == DashboardAuth.Actor(http.User)) return RedirectWith(http, back, "You cannot disable yourself.", error: true);
        var before = op.DisabledAt is not null;
        op.DisabledAt = disable ? clock.GetUtcNow().UtcDateTime : null;
        if (!disable) { op.FailedSignIns = 0; op.LockedUntil = null; }
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(disable ? "operator.disable" : "operator.enable", $"operator:{id}", new { disabled = before }, new { disabled = disable }, ct);
        return RedirectWith(http, back, $"{op.Username} is {(disable ? "disabled; their sessions have ended" : "enabled")}.");
    }

    public static async Task<IResult> ChangeRole(long id, HttpContext http, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        const string back = "/admin/settings#operators";
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var role = form["role"].ToString();
        if (!OperatorRoles.IsValid(role)) return RedirectWith(http, back, "Choose owner, manager or support.", error: true);
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == id, ct);
        if (op is null) return RedirectWith(http, back, $"There is no operator {id}.", error: true);
        if (op.Username == DashboardAuth.Actor(http.User)) return RedirectWith(http, back, "You cannot change your own role.", error: true);
        var before = op.Role;
        op.Role = role;
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync("operator.role", $"operator:{id}", new { role = before }, new { role }, ct);
        return RedirectWith(http, back, $"{op.Username} is now {role}.");
    }
}
