using System.Text;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>The pipeline's event log, the job queue and the outbox, with the same retry/cancel services as the REST API.</summary>
internal static class OperationsPages
{
    private const int PageSize = 50;

    public static async Task<IResult> Events(HttpContext http, BazaarDb db, CancellationToken ct, string? status = null, string? userId = null,
        string? command = null, string? kind = null, DateTime? from = null, DateTime? to = null, int page = 1)
    {
        var q = db.InboundUpdates.AsNoTracking();
        if (Enum.TryParse<UpdateStatus>(status, true, out var s)) q = q.Where(u => u.Status == s);
        if (!string.IsNullOrWhiteSpace(userId)) q = q.Where(u => u.UserId == userId.Trim());
        if (!string.IsNullOrWhiteSpace(command)) q = q.Where(u => u.Command == command.Trim().TrimStart('/'));
        if (!string.IsNullOrWhiteSpace(kind)) q = q.Where(u => u.Kind == kind.Trim());
        if (from is { } f) { var fu = DateTime.SpecifyKind(f, DateTimeKind.Utc); q = q.Where(u => u.ReceivedAt >= fu); }
        if (to is { } t) { var tu = DateTime.SpecifyKind(t, DateTimeKind.Utc); q = q.Where(u => u.ReceivedAt <= tu); }
        page = Math.Max(1, page);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(u => u.Id).Skip((page - 1) * PageSize).Take(PageSize)
            .Select(u => new { u.Id, u.Channel, u.Kind, u.UserId, u.ChatId, u.Command, u.Status, u.HandlerMs, u.Error, u.Attempts, u.ReceivedAt })
            .ToListAsync(ct);
        var canRetry = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var sb = new StringBuilder($"""
            <section class="card">
            <form method="get" class="filters">
              <select name="status"><option value="">any status</option>{string.Join("", Enum.GetValues<UpdateStatus>().Select(x => $"<option{(string.Equals(status, x.ToString(), StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{x}</option>"))}</select>
              <input name="userId" placeholder="user (channel id)" value="{E(userId)}">
              <input name="command" placeholder="command" value="{E(command)}">
              <input name="kind" placeholder="kind (message, callback_query…)" value="{E(kind)}">
              <label class="inline-label">from <input type="datetime-local" name="from" value="{E(from?.ToString("yyyy-MM-ddTHH:mm"))}"></label>
              <label class="inline-label">to <input type="datetime-local" name="to" value="{E(to?.ToString("yyyy-MM-ddTHH:mm"))}"></label>
              <button class="btn" type="submit">Filter</button>
            </form>
            <div class="scroll"><table><thead><tr><th>#</th><th>Received (UTC)</th><th>Channel</th><th>Kind</th><th>User</th><th>Command</th><th>Status</th><th>ms</th><th></th></tr></thead><tbody>
            """);
        foreach (var u in rows)
        {
            sb.Append($"<tr><td>{u.Id}</td><td>{Time(u.ReceivedAt)}</td><td>{E(u.Channel)}</td><td>{E(u.Kind)}</td><td>{E(u.UserId)}</td><td>{E(u.Command)}</td>" +
                      $"<td>{Badge(u.Status.ToString())}{(u.Error is null ? "" : $"<div class=\"muted small err\">{E(u.Error.Length > 200 ? u.Error[..200] + "…" : u.Error)}</div>")}</td>" +
                      $"<td class=\"num\">{u.HandlerMs}</td><td>{(canRetry && u.Status == UpdateStatus.Failed ? Button(http, $"/admin/events/{u.Id}/retry", "Retry", "btn btn-small") : "")}</td></tr>");
        }
        if (rows.Count == 0) sb.Append("<tr><td colspan=\"9\" class=\"muted\">No updates match.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, PageSize, total)}</section>");
        return Page(http, "Event log", "events", sb.ToString());
    }

    public static async Task<IResult> RetryEvent(long id, HttpContext http, EventLog log, UpdateProcessor processor, AuditLog audit, CancellationToken ct)
    {
        if (!await log.RetryAsync(id, ct)) return RedirectWith(http, "/admin/events?status=Failed", $"Update {id} has not failed, so there is nothing to retry.", error: true);
        processor.Wake();
        await audit.WriteAsync("update.retry", $"update:{id}", new { status = "Failed" }, new { status = "Received" }, ct);
        return RedirectWith(http, "/admin/events?status=Failed", $"Update {id} is back in the inbox.");
    }

    public static async Task<IResult> Jobs(HttpContext http, BazaarDb db, CancellationToken ct, string? type = null, string? status = null, int page = 1)
    {
        var q = db.Jobs.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(type)) q = q.Where(j => j.Type == type);
        if (Enum.TryParse<JobStatus>(status, true, out var s)) q = q.Where(j => j.Status == s);
        page = Math.Max(1, page);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(j => j.Id).Skip((page - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        var types = await db.Jobs.AsNoTracking().Select(j => j.Type).Distinct().OrderBy(t => t).ToListAsync(ct);
        var canAct = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var sb = new StringBuilder($"""
            <section class="card">
            <form method="get" class="filters">
              <select name="type"><option value="">any type</option>{string.Join("", types.Select(t => $"<option{(t == type ? " selected" : "")}>{E(t)}</option>"))}</select>
              <select name="status"><option value="">any status</option>{string.Join("", Enum.GetValues<JobStatus>().Select(x => $"<option value=\"{x.ToString().ToLowerInvariant()}\"{(string.Equals(status, x.ToString(), StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{x}</option>"))}</select>
              <button class="btn" type="submit">Filter</button>
            </form>
            <div class="scroll"><table><thead><tr><th>#</th><th>Type</th><th>Status</th><th>Attempts</th><th>Run at</th><th>Finished</th><th>Last error</th><th></th></tr></thead><tbody>
            """);
        foreach (var j in rows)
        {
            var actions = !canAct ? "" :
                j.Status is JobStatus.Failed or JobStatus.Cancelled ? Button(http, $"/admin/jobs/{j.Id}/retry", "Retry", "btn btn-small") :
                j.Status == JobStatus.Queued ? Button(http, $"/admin/jobs/{j.Id}/cancel", "Cancel", "btn btn-small btn-danger", $"Cancel job {j.Id}?") : "";
            sb.Append($"<tr><td>{j.Id}</td><td>{E(j.Type)}</td><td>{Badge(j.Status.ToString())}</td><td class=\"num\">{j.Attempts}/{j.MaxAttempts}</td>" +
                      $"<td>{Time(j.RunAt)}</td><td>{Time(j.FinishedAt)}</td><td class=\"muted small err\">{E(j.LastError is { Length: > 200 } e ? e[..200] + "…" : j.LastError)}</td><td>{actions}</td></tr>");
        }
        if (rows.Count == 0) sb.Append("<tr><td colspan=\"8\" class=\"muted\">No jobs match.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, PageSize, total)}</section>");
        return Page(http, "Job queue", "jobs", sb.ToString());
    }

    public static async Task<IResult> RetryJob(long id, HttpContext http, JobQueue queue, AuditLog audit, CancellationToken ct) =>
        await queue.RetryAsync(id, ct) switch
        {
            JobChange.Done => await Audited(http, audit, "job.retry", $"job:{id}", "Failed/Cancelled", "Queued", $"Job {id} is queued again with fresh attempts.", ct),
            JobChange.NotFound => RedirectWith(http, "/admin/jobs", $"There is no job {id}.", error: true),
            _ => RedirectWith(http, "/admin/jobs", $"Job {id} is neither failed nor cancelled.", error: true),
        };

    public static async Task<IResult> CancelJob(long id, HttpContext http, JobQueue queue, AuditLog audit, CancellationToken ct) =>
        await queue.CancelAsync(id, ct) switch
        {
            JobChange.Done => await Audited(http, audit, "job.cancel", $"job:{id}", "Queued", "Cancelled", $"Job {id} is cancelled.", ct),
            JobChange.NotFound => RedirectWith(http, "/admin/jobs", $"There is no job {id}.", error: true),
            _ => RedirectWith(http, "/admin/jobs", $"Job {id} is no longer queued, so it cannot be cancelled.", error: true),
        };

    private static async Task<IResult> Audited(HttpContext http, AuditLog audit, string action, string target, string before, string after, string message, CancellationToken ct)
    {
        await audit.WriteAsync(action, target, new { status = before }, new { status = after }, ct);
        return RedirectWith(http, "/admin/jobs", message);
    }

    public static async Task<IResult> Outbox(HttpContext http, BazaarDb db, CancellationToken ct, string? status = "failed", string? chat = null, int page = 1)
    {
        var q = db.Outbox.AsNoTracking();
        if (Enum.TryParse<OutboxStatus>(status, true, out var s)) q = q.Where(m => m.Status == s);
        if (!string.IsNullOrWhiteSpace(chat)) q = q.Where(m => m.ChatId == chat.Trim());
        page = Math.Max(1, page);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(m => m.Id).Skip((page - 1) * PageSize).Take(PageSize)
            .Select(m => new { m.Id, m.Channel, m.ChatId, m.Method, m.Status, m.Attempts, m.CreatedAt, m.SentAt, m.LastError }).ToListAsync(ct);
        var canRetry = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var sb = new StringBuilder($"""
            <section class="card">
            <form method="get" class="filters">
              <select name="status"><option value="">any status</option>{string.Join("", Enum.GetValues<OutboxStatus>().Select(x => $"<option value=\"{x.ToString().ToLowerInvariant()}\"{(string.Equals(status, x.ToString(), StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{x}</option>"))}</select>
              <input name="chat" placeholder="chat id" value="{E(chat)}">
              <button class="btn" type="submit">Filter</button>
            </form>
            <div class="scroll"><table><thead><tr><th>#</th><th>Channel</th><th>Chat</th><th>Method</th><th>Status</th><th>Attempts</th><th>Created</th><th>Error</th><th></th></tr></thead><tbody>
            """);
        foreach (var m in rows)
            sb.Append($"<tr><td>{m.Id}</td><td>{E(m.Channel)}</td><td>{E(m.ChatId)}</td><td>{E(m.Method)}</td><td>{Badge(m.Status.ToString())}</td><td class=\"num\">{m.Attempts}</td>" +
                      $"<td>{Time(m.CreatedAt)}</td><td class=\"muted small err\">{E(m.LastError)}</td>" +
                      $"<td>{(canRetry && m.Status == OutboxStatus.Failed ? Button(http, $"/admin/outbox/{m.Id}/retry", "Retry", "btn btn-small") : "")}</td></tr>");
        if (rows.Count == 0) sb.Append("<tr><td colspan=\"9\" class=\"muted\">No messages match.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, PageSize, total)}</section>");
        return Page(http, "Outbox", "outbox", sb.ToString());
    }

    public static async Task<IResult> RetryOutbox(long id, HttpContext http, BazaarDb db, TimeProvider clock, OutboxSignal signal, AuditLog audit, CancellationToken ct)
    {
        var result = await OutboxApi.Retry(id, db, clock, signal, ct);
        if (result.Result is Microsoft.AspNetCore.Http.HttpResults.Ok<OutboxApi.OutboxMessageView>)
        {
            await audit.WriteAsync("outbox.retry", $"outbox:{id}", new { status = "Failed" }, new { status = "Pending" }, ct);
            return RedirectWith(http, "/admin/outbox", $"Message {id} is queued again.");
        }
        return RedirectWith(http, "/admin/outbox", $"Message {id} is not a failed message.", error: true);
    }
}
