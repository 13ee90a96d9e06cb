using System.Text;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

internal static class AuditPage
{
    public static async Task<IResult> Show(HttpContext http, BazaarDb db, CancellationToken ct, string? actor = null, string? action = null, string? target = null, int page = 1)
    {
        var q = db.AuditLog.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(actor)) q = q.Where(a => a.Actor == actor.Trim());
        if (!string.IsNullOrWhiteSpace(action)) q = q.Where(a => a.Action.StartsWith(action.Trim()));
        if (!string.IsNullOrWhiteSpace(target)) q = q.Where(a => a.Target == target.Trim());
        page = Math.Max(1, page);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(a => a.Id).Skip((page - 1) * 50).Take(50).ToListAsync(ct);
        var sb = new StringBuilder($"""
            <section class="card">
            <form method="get" class="filters">
              <input name="actor" placeholder="operator" value="{E(actor)}">
              <input name="action" placeholder="action (deposit., wallet.adjust…)" value="{E(action)}">
              <input name="target" placeholder="target (user:5, payment:12)" value="{E(target)}">
              <button class="btn" type="submit">Filter</button>
            </form>
            <div class="scroll"><table><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>On</th><th>Before</th><th>After</th></tr></thead><tbody>
            """);
        foreach (var a in rows)
            sb.Append($"<tr><td>{Time(a.At)}</td><td>{E(a.Actor)} <span class=\"badge badge-muted\">{E(a.ActorRole)}</span></td><td><code>{E(a.Action)}</code></td>" +
                      $"<td>{E(a.Target)}</td><td class=\"small\"><code>{E(a.Before)}</code></td><td class=\"small\"><code>{E(a.After)}</code></td></tr>");
        if (rows.Count == 0) sb.Append("<tr><td colspan=\"6\" class=\"muted\">Nothing recorded yet.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, 50, total)}</section>");
        return Page(http, "Audit log", "audit", sb.ToString());
    }
}
