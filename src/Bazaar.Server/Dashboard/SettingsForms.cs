using System.Globalization;
using System.Text;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Payments;
using Bazaar.Server.Referrals;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>The settings that override configuration at run time: each save is stored, applied at once and audited.</summary>
internal static partial class SettingsPages
{
    private static string Origin(RuntimeSettings settings, string key) =>
        settings.Get(key) is null ? $"now from configuration (<code>{E(key)}</code>) until saved here" : "set here, over configuration";

    private static Task SaveAsync(HttpContext http, BazaarDb db, RuntimeSettings settings, TimeProvider clock, IReadOnlyDictionary<string, string?> changes, CancellationToken ct) =>
        settings.SaveAsync(db, changes, DashboardAuth.Actor(http.User), clock.GetUtcNow().UtcDateTime, ct);

    public static async Task<IResult> SaveAdminIds(HttpContext http, BazaarDb db, RuntimeSettings settings, IOptions<AdminOptions> admin,
        TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        const string back = "/admin/settings#admin-ids";
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var parts = form["ids"].ToString().Split([',', ' ', ';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var bad = parts.FirstOrDefault(x => !long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v <= 0);
        if (bad is not null) return RedirectWith(http, back, $"\"{bad}\" is not a Telegram user id (a positive number). Nothing changed.", error: true);
        var before = string.Join(",", admin.Value.TelegramAdminIds.Order());
        var after = string.Join(",", parts.Select(x => long.Parse(x, CultureInfo.InvariantCulture)).Distinct().Order());
        await SaveAsync(http, db, settings, clock, new Dictionary<string, string?> { ["Admin:TelegramIds"] = after }, ct);
        await audit.WriteAsync("settings.admin_ids", "setting:Admin:TelegramIds", new { ids = before }, new { ids = after }, ct);
        return RedirectWith(http, back, after.Length == 0 ? "No one is a bot admin now." : $"Bot admins now: {after.Replace(",", ", ")}.");
    }

    public static async Task<IResult> SavePayments(HttpContext http, BazaarDb db, RuntimeSettings settings, IOptions<PaymentsOptions> payments,
        TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        const string back = "/admin/settings#payment-methods";
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var on = form["on"].Select(v => v ?? "").ToHashSet(StringComparer.OrdinalIgnoreCase);
        var o = payments.Value;
        var methods = Enum.GetValues<PaymentMethod>();
        // Only methods with keys can be switched; one without stays as it is (off) whatever the form says.
        var off = methods.Where(m => o.IsConfigured(m) ? !on.Contains(m.WireName()) : o.IsSwitchedOff(m)).Select(m => m.WireName()).ToList();
        var before = methods.Where(o.IsSwitchedOff).Select(m => m.WireName()).ToList();
        await SaveAsync(http, db, settings, clock, new Dictionary<string, string?> { ["Payments:Disabled"] = string.Join(",", off) }, ct);
        await audit.WriteAsync("settings.payment_methods", "setting:Payments:Disabled", new { off = before }, new { off }, ct);
        var offered = methods.Where(m => o.IsConfigured(m) && !off.Contains(m.WireName())).Select(m => m.WireName()).ToList();
        return RedirectWith(http, back, offered.Count == 0 ? "No payment method is offered now." : $"Offered now: {string.Join(", ", offered)}.");
    }

    public static async Task<IResult> SaveReferrals(HttpContext http, BazaarDb db, RuntimeSettings settings, IOptions<ReferralOptions> referrals,
        ReferralTiers tiers, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        const string back = "/admin/settings#referrals";
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        static bool Dec(string? s, out decimal v) =>
            decimal.TryParse((s ?? "").Trim().Replace(',', '.'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out v);
        if (!Dec(form["percent"], out var percent) || percent > 100 || decimal.Round(percent, 2) != percent)
            return RedirectWith(http, back, "The commission is a percent from 0 to 100 with at most two decimals, e.g. 2.5. Nothing changed.", error: true);
        if (!int.TryParse(form["milestoneCount"], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > 1_000_000 ||
            !int.TryParse(form["milestoneReward"], NumberStyles.None, CultureInfo.InvariantCulture, out var reward) || reward > 1_000_000)
            return RedirectWith(http, back, "Milestones are whole numbers from 0 (0 turns them off). Nothing changed.", error: true);
        var changes = new Dictionary<string, string?>
        {
            ["Referrals:CommissionPercent"] = percent.ToString(CultureInfo.InvariantCulture),
            ["Referrals:MilestoneCount"] = count.ToString(CultureInfo.InvariantCulture),
            ["Referrals:MilestoneReward"] = reward.ToString(CultureInfo.InvariantCulture),
        };
        var scale = Wallet.Currencies.Scale(tiers.Currency);
        foreach (var (code, _, _, _) in ReferralTiers.Badges)
        {
            if (!Dec(form[$"tier_{code}"], out var at) || at > 1_000_000_000 || decimal.Round(at, scale) != at)
                return RedirectWith(http, back, $"The {code} threshold is an amount of {tiers.Currency} from 0, e.g. 100. Nothing changed.", error: true);
            changes[$"Referrals:Tiers:{code}"] = at.ToString(CultureInfo.InvariantCulture);
        }
        var o = referrals.Value;
        var before = new { percent = o.CommissionPercent, milestoneCount = o.MilestoneCount, milestoneReward = o.MilestoneReward,
            tiers = tiers.All.ToDictionary(t => t.Code, t => Wallet.Currencies.ToMajor(t.Threshold, tiers.Currency)) };
        await SaveAsync(http, db, settings, clock, changes, ct);
        await audit.WriteAsync("settings.referrals", "setting:Referrals", before, new { percent, milestoneCount = count, milestoneReward = reward,
            tiers = ReferralTiers.Badges.ToDictionary(b => b.Code, b => changes[$"Referrals:Tiers:{b.Code}"]) }, ct);
        return RedirectWith(http, back, $"Referrals: {percent.ToString(CultureInfo.InvariantCulture)} % commission from now on.");
    }

    private const int TextsPerPage = 25;
    private const string Placeholder0 = "{0}";

    public static IResult Texts(HttpContext http, RuntimeSettings settings, string? q = null, int page = 1)
    {
        var query = (q ?? "").Trim();
        var matches = BotTextCatalog.All.Where(t => query.Length == 0 ||
            t.Name.Contains(query, StringComparison.OrdinalIgnoreCase) ||
            Languages.Supported.Any(l => t.Text.In(l).Contains(query, StringComparison.OrdinalIgnoreCase) ||
                                         t.Text.Compiled(l).Contains(query, StringComparison.OrdinalIgnoreCase))).ToList();
        page = Math.Max(1, page);
        var sb = new StringBuilder($"""
            <section class="card">
              <form method="get" class="filters" role="search">
                <input type="search" name="q" value="{E(query)}" placeholder="a name or words of the text" aria-label="Search texts">
                <button class="btn" type="submit">Search</button>
              </form>
              <p class="muted small">Placeholders such as <code>{Placeholder0}</code> are filled by the bot and must stay; Telegram's HTML tags (b, i, code, a …) must be balanced.
                Save an empty box to go back to the built-in wording. A change reaches the bot at once; command descriptions in Telegram's menu follow at the next start.</p>
            </section>
            """);
        foreach (var (name, text) in matches.Skip((page - 1) * TextsPerPage).Take(TextsPerPage))
        {
            sb.Append($"<section class=\"card text-edit\" id=\"{E(name)}\"><h2><code>{E(name)}</code></h2><form method=\"post\" action=\"/admin/settings/texts\">{Csrf(http)}" +
                      $"<input type=\"hidden\" name=\"name\" value=\"{E(name)}\"><input type=\"hidden\" name=\"back\" value=\"{E(http.Request.QueryString.Value)}\"><div class=\"text-langs\">");
            foreach (var lang in Languages.Supported)
            {
                var over = settings.Get(BotTextCatalog.Key(name, lang));
                sb.Append($"<label><span>{(lang == Languages.English ? "English" : "Русский")}{(over is null ? "" : " <span class=\"badge badge-warn\">REWORDED</span>")}</span>" +
                          $"<textarea name=\"{lang}\" rows=\"3\" maxlength=\"{BotTextCatalog.MaxLength}\" placeholder=\"{E(text.Compiled(lang))}\" aria-label=\"{E(name)} in {lang}\">{E(over)}</textarea>" +
                          $"<span class=\"muted small\">Built in: {E(text.Compiled(lang))}</span></label>");
            }
            sb.Append("</div><button class=\"btn btn-primary\" type=\"submit\">Save</button></form></section>");
        }
        if (matches.Count == 0) sb.Append("<p class=\"muted\">No text matches.</p>");
        sb.Append(Pager(http.Request, page, TextsPerPage, matches.Count));
        return Page(http, "Bot texts", "settings", sb.ToString());
    }

    public static async Task<IResult> SaveText(HttpContext http, BazaarDb db, RuntimeSettings settings, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var name = form["name"].ToString();
        var query = form["back"].ToString();
        var back = "/admin/settings/texts" + (query.StartsWith('?') && !query.Contains('#') ? query : "") + "#" + Uri.EscapeDataString(name);
        if (BotTextCatalog.Find(name) is not { } text) return RedirectWith(http, "/admin/settings/texts", $"There is no bot text {name}.", error: true);
        var changes = new Dictionary<string, string?>();
        foreach (var lang in Languages.Supported)
        {
            var value = form[lang].ToString().Replace("\r\n", "\n");
            if (value.Trim().Length == 0)
            {
                changes[BotTextCatalog.Key(name, lang)] = null;
                continue;
            }
            if (BotTextCatalog.Problem(text.Compiled(lang), value) is { } problem)
                return RedirectWith(http, back, $"{name} ({lang}): {problem} Nothing changed.", error: true);
            changes[BotTextCatalog.Key(name, lang)] = value;
        }
        var before = Languages.Supported.ToDictionary(l => l, l => settings.Get(BotTextCatalog.Key(name, l)));
        await SaveAsync(http, db, settings, clock, changes, ct);
        await audit.WriteAsync("settings.text", $"text:{name}", before, Languages.Supported.ToDictionary(l => l, l => changes[BotTextCatalog.Key(name, l)]), ct);
        return RedirectWith(http, back, changes.Values.All(v => v is null) ? $"{name} is back to the built-in wording." : $"{name} is reworded; the bot uses it now.");
    }
}
