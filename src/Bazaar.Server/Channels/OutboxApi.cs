using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Channels;

/// <summary>The outbox seen by an operator: what was sent, what failed and why, and a retry for failed rows.</summary>
public static class OutboxApi
{
    public sealed record OutboxMessageView(long Id, string Channel, string ChatId, long? UserId, string Method, bool Urgent,
        OutboxStatus Status, int Attempts, DateTime CreatedAt, DateTime NextAttemptAt, DateTime? SentAt, string? LastError,
        long? InboundUpdateId, string Payload, string? Result, string? ExternalId = null, string? DeliveryStatus = null, DateTime? DeliveryUpdatedAt = null);

    internal static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapAdminGroup("/outbox", "Outbox");
        g.MapGet("/", List).WithName("ListOutbox").WithSummary("Outgoing messages, newest first, filtered by status, channel and chat");
        g.MapGet("/{id:long}", Get).WithName("GetOutboxMessage").WithSummary("One outgoing message with its payload and result");
        g.MapPost("/{id:long}/retry", Retry).WithName("RetryOutboxMessage").WithSummary("Queue a failed message again");
    }

    internal static async Task<Results<Ok<Paged<OutboxMessageView>>, ProblemHttpResult>> List(BazaarDb db, CancellationToken ct,
        string? status = null, string? channel = null, string? chat = null, int page = 1, int pageSize = 50)
    {
        var q = db.Outbox.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!Enum.TryParse<OutboxStatus>(status, ignoreCase: true, out var s) || !Enum.IsDefined(s))
                return Problems.InvalidStatus(Enum.GetValues<OutboxStatus>().Select(OutboxStatusText.Of));
            q = q.Where(m => m.Status == s);
        }
        if (!string.IsNullOrWhiteSpace(channel)) q = q.Where(m => m.Channel == channel);
        if (!string.IsNullOrWhiteSpace(chat)) q = q.Where(m => m.ChatId == chat);
        return TypedResults.Ok(await Paged<OutboxMessageView>.Of(q.OrderByDescending(m => m.Id).Select(View), page, pageSize, ct));
    }

    internal static async Task<Results<Ok<OutboxMessageView>, ProblemHttpResult>> Get(long id, BazaarDb db, CancellationToken ct) =>
        await db.Outbox.AsNoTracking().Where(m => m.Id == id).Select(View).FirstOrDefaultAsync(ct) is { } m
            ? TypedResults.Ok(m)
            : Problems.NotFound("outbox_message_not_found", $"There is no outbox message {id}.");

    internal static async Task<Results<Ok<OutboxMessageView>, ProblemHttpResult>> Retry(long id, BazaarDb db, TimeProvider clock,
        OutboxSignal signal, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var n = await db.Outbox.Where(m => m.Id == id && m.Status == OutboxStatus.Failed)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboxStatus.Pending)
                .SetProperty(m => m.Attempts, 0)
                .SetProperty(m => m.NextAttemptAt, now), ct);
        var row = await db.Outbox.AsNoTracking().Where(m => m.Id == id).Select(View).FirstOrDefaultAsync(ct);
        if (row is null) return Problems.NotFound("outbox_message_not_found", $"There is no outbox message {id}.");
        if (n == 0) return Problems.Conflict("outbox_not_failed", $"Outbox message {id} is {row.Status}; only failed messages can be retried.");
        signal.NotifyUrgent();
        return TypedResults.Ok(row);
    }

    private static readonly System.Linq.Expressions.Expression<Func<OutboxMessage, OutboxMessageView>> View = m =>
        new OutboxMessageView(m.Id, m.Channel, m.ChatId, m.UserId, m.Method, m.Urgent, m.Status, m.Attempts, m.CreatedAt,
            m.NextAttemptAt, m.SentAt, m.LastError, m.InboundUpdateId, m.Payload, m.Result,
            m.ExternalId, m.DeliveryStatus, m.DeliveryUpdatedAt);
}
