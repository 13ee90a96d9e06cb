using System.Globalization;
using System.Text;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Payments;
using Bazaar.Server.Referrals;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Owner only: operators, API keys, and the settings that override configuration at run time (admin Telegram ids,
/// payment method switches, referral percent and thresholds, bot texts), stored through <see cref="RuntimeSettings"/>.
/// </summary>
internal static partial class SettingsPages
{
    public static async Task<IResult> Show(HttpContext http, BazaarDb db, IOptions<AdminOptions> admin, IOptions<PaymentsOptions> payments,
        IOptions<ReferralOptions> referrals, ReferralTiers tiers, RuntimeSettings settings, TimeProvider clock, CancellationToken ct, string? newKey = null)
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
            <section class="card" id="admin-ids"><h2>Admin Telegram ids</h2>
            <form method="post" action="/admin/settings/admin-ids" class="filters">{Csrf(http)}
              <input name="ids" value="{E(string.Join(", ", ids.Order()))}" size="40" placeholder="e.g. 123456789, 987654321" aria-label="Admin Telegram ids">
              <button class="btn btn-primary" type="submit">Save admin ids</button>
            </form>
            <p class="muted small">Telegram user ids who get <code>/admin</code>, the deposit notices and the admin commands in the bot, comma-separated.
              Takes effect at once; {Origin(settings, "Admin:TelegramIds")}.</p></section>
            """);

        var p = payments.Value;
        sb.Append($"<section class=\"card\" id=\"payment-methods\"><h2>Payment methods</h2><form method=\"post\" action=\"/admin/settings/payments\">{Csrf(http)}" +
                  "<table><thead><tr><th>Method</th><th>Offered</th><th>State</th><th>Keys set by</th></tr></thead><tbody>");
        foreach (var m in Enum.GetValues<PaymentMethod>())
        {
            var configured = p.IsConfigured(m);
            var box = $"<input type=\"checkbox\" name=\"on\" value=\"{E(m.WireName())}\" aria-label=\"Offer {E(m.WireName())}\"" +
                      $"{(p.IsEnabled(m) ? " checked" : "")}{(configured ? "" : " disabled")}>";
            var state = !configured ? "<span class=\"badge badge-muted\">NO KEYS</span>" : p.IsEnabled(m) ? Badge("ON") : Badge("OFF");
            sb.Append($"<tr><td>{E(m.WireName())}</td><td>{box}</td><td>{state}</td><td class=\"small\"><code>{E(ConfigKey(m))}</code></td></tr>");
        }
        sb.Append($"""
            </tbody></table><button class="btn btn-primary" type="submit">Save payment methods</button></form>
            <p class="muted small">A method with its keys set can be switched off here: it is then neither offered in the bot nor accepted for new payments
              (payments already open still complete). A method without keys stays off until they are set in configuration.</p></section>
            """);

        var r = referrals.Value;
        var tierInputs = string.Join("", tiers.All.OrderBy(t => ReferralTiers.Badges.ToList().FindIndex(b => b.Code == t.Code)).Select(t =>
            $"<label>{E(t.Label(Languages.English))} from <input name=\"tier_{E(t.Code)}\" value=\"{Currencies.ToMajor(t.Threshold, tiers.Currency).ToString(CultureInfo.InvariantCulture)}\" size=\"7\" inputmode=\"decimal\" aria-label=\"{E(t.Code)} threshold\"> {E(tiers.Currency)}</label> "));
        sb.Append($"""
            <section class="card" id="referrals"><h2>Referrals</h2>
            <form method="post" action="/admin/settings/referrals">{Csrf(http)}
              <p class="filters">
                <label>Commission <input name="percent" value="{r.CommissionPercent.ToString(CultureInfo.InvariantCulture)}" size="5" inputmode="decimal" aria-label="Commission percent"> % of each deposit</label>
                <label>A milestone every <input name="milestoneCount" value="{r.MilestoneCount}" size="4" inputmode="numeric" aria-label="Milestone count"> active referrals</label>
                <label>earns <input name="milestoneReward" value="{r.MilestoneReward}" size="4" inputmode="numeric" aria-label="Milestone reward"> check credit(s)</label>
              </p>
              <p class="filters">{tierInputs}</p>
              <button class="btn btn-primary" type="submit">Save referral settings</button>
            </form>
            <p class="muted small">Tiers go by lifetime referral earnings. New commissions use the new percent at once; earned ones stay as they are;
              {Origin(settings, "Referrals:CommissionPercent")}.</p></section>
            """);

        var reworded = settings.Values.Keys.Count(k => k.StartsWith(RuntimeSettings.TextsPrefix, StringComparison.OrdinalIgnoreCase));
        sb.Append($"""
            <section class="card" id="texts"><h2>Bot texts</h2>
            <p>{BotTextCatalog.All.Count} texts in English and Russian; {reworded} reworded here. <a class="btn" href="/admin/settings/texts">Edit bot texts</a></p></section>
            """);
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

    public static async Task<IResult> CreateKey(HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var result = await AdminModule.CreateKey(new AdminModule.CreateApiKeyRequest(form["name"].ToString()), db, clock, http, ct);
        if (result.Result is not Created<AdminModule.CreatedApiKey> created)
            return RedirectWith(http, "/admin/settings#api-keys", "Give the key a name of 1 to 128 characters.", error: true);
        await audit.WriteAsync("api_key.create", $"api_key:{created.Value!.Id}", null, new { name = created.Value.Name }, ct);
        // Rendered straight away rather than redirected, so the plain key never sits in a URL, cookie or log.
        var sp = http.RequestServices;
        return await Show(http, db, sp.GetRequiredService<IOptions<AdminOptions>>(), sp.GetRequiredService<IOptions<PaymentsOptions>>(),
            sp.GetRequiredService<IOptions<ReferralOptions>>(), sp.GetRequiredService<ReferralTiers>(), sp.GetRequiredService<RuntimeSettings>(),
            clock, ct, created.Value.Key);
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
