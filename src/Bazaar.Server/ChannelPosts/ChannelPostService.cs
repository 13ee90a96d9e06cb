using System.Text.Json;
using Bazaar.Server.Broadcasts;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Telegram.Bot.Requests;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.ChannelPosts;

/// <summary>
/// Scheduled channel posts. A post is published by one <c>channel_posts.publish</c> job at its time: the job moves it
/// Scheduled → Sending with a conditional update (so a second delivery of the job, or a job of an older version, posts
/// nothing) and enqueues the send in the same transaction. A <c>channel_posts.settle</c> job then reads Telegram's answer
/// from the outbox row: the message id (kept for edits, pins and deletion), or the error.
/// </summary>
public sealed class ChannelPostService(BazaarDb db, Outbox outbox, JobQueue jobs, WriteGate gate, TimeProvider clock, ILogger<ChannelPostService> log)
{
    public const string PublishJob = "channel_posts.publish";
    public const string SettleJob = "channel_posts.settle";
    public sealed record PublishPayload(long PostId, int Version);
    public sealed record SettlePayload(long PostId, int Version, int Attempt);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public static ChatTarget TargetOf(ChannelPost p) => new(ChatChannel.Telegram, p.ChatId);

    private static ChatId ChatIdOf(ChannelPost p) => long.TryParse(p.ChatId, out var id) ? new ChatId(id) : new ChatId(p.ChatId);

    /// <summary>Queues the publish job of the post's current version (inside the caller's unit of work).</summary>
    public void Schedule(ChannelPost p) =>
        jobs.Enqueue(PublishJob, new PublishPayload(p.Id, p.Version),
            new EnqueueOptions { RunAt = p.PostAt, IdempotencyKey = $"channel-post:{p.Id}:v{p.Version}" });

    /// <summary>The publish job: posts once, whatever how often the job is delivered.</summary>
    public async Task PublishAsync(PublishPayload job, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = Now;
            // The claim: only the first delivery of the current version's job finds it Scheduled.
            var claimed = await db.ChannelPosts.Where(x => x.Id == job.PostId && x.Status == ChannelPostStatus.Scheduled && x.Version == job.Version)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, ChannelPostStatus.Sending).SetProperty(x => x.UpdatedAt, now), ct);
            if (claimed == 0) return;
            var p = await db.ChannelPosts.FirstAsync(x => x.Id == job.PostId, ct);
            var keyboard = Keyboard(p);
            OutboxMessage m = p.Photo is { } photo
                ? outbox.Enqueue(TargetOf(p), new SendPhotoRequest
                {
                    ChatId = ChatIdOf(p), Photo = InputFile.FromString(photo), Caption = p.Text, ParseMode = ParseMode.Html, ReplyMarkup = keyboard,
                })
                : outbox.Enqueue(TargetOf(p), new SendMessageRequest { ChatId = ChatIdOf(p), Text = p.Text, ParseMode = ParseMode.Html, ReplyMarkup = keyboard });
            await db.SaveChangesAsync(ct);
            p.OutboxMessageId = m.Id;
            // Keyed by version too: a post that failed and was scheduled again settles afresh.
            jobs.Enqueue(SettleJob, new SettlePayload(p.Id, p.Version, 1),
                new EnqueueOptions { Delay = TimeSpan.FromSeconds(2), IdempotencyKey = $"channel-post:{p.Id}:v{p.Version}:settle:1" });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            log.LogInformation("Channel post {Id} handed to the outbox for {Chat}", p.Id, p.ChatId);
        }
    }

    /// <summary>The settle job: records what Telegram answered, or looks again a little later.</summary>
    public async Task SettleAsync(SettlePayload job, CancellationToken ct)
    {
        if (await ReconcileAsync(job.PostId, ct) != ChannelPostStatus.Sending) return;
        var next = job.Attempt + 1;
        using (await gate.EnterAsync(ct))
        {
            jobs.Enqueue(SettleJob, job with { Attempt = next }, new EnqueueOptions
            {
                Delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(next, 6)))),
                IdempotencyKey = $"channel-post:{job.PostId}:v{job.Version}:settle:{next}",
            });
            await db.SaveChangesAsync(ct);
        }
    }

    /// <summary>
    /// A Sending post whose outbox row has finished becomes Posted (message id recorded, pin queued) or Failed. The move is
    /// a conditional update, so the settle job and an API read racing here pin once. Returns the post's status (null: no post).
    /// </summary>
    public async Task<ChannelPostStatus?> ReconcileAsync(long id, CancellationToken ct)
    {
        var p = await db.ChannelPosts.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return null;
        if (p.Status != ChannelPostStatus.Sending || p.OutboxMessageId is not { } rowId) return p.Status;
        var row = await db.Outbox.AsNoTracking().Where(o => o.Id == rowId).Select(o => new { o.Status, o.Result, o.LastError, o.SentAt }).FirstOrDefaultAsync(ct);
        if (row is null || row.Status is OutboxStatus.Pending or OutboxStatus.Sending) return p.Status;
        var now = Now;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var sending = db.ChannelPosts.Where(x => x.Id == id && x.Status == ChannelPostStatus.Sending);
            int? messageId = row.Status == OutboxStatus.Sent ? MessageIdOf(row.Result) : null;
            if (messageId is { } mid)
            {
                var n = await sending.ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, ChannelPostStatus.Posted).SetProperty(x => x.MessageId, mid)
                    .SetProperty(x => x.PostedAt, row.SentAt ?? now).SetProperty(x => x.UpdatedAt, now), ct);
                if (n == 1 && p.Pin)
                {
                    outbox.Enqueue(TargetOf(p), new PinChatMessageRequest { ChatId = ChatIdOf(p), MessageId = mid, DisableNotification = true });
                    await db.SaveChangesAsync(ct);
                }
                await tx.CommitAsync(ct);
                if (n == 1) log.LogInformation("Channel post {Id} posted as message {MessageId} in {Chat}", id, mid, p.ChatId);
                return ChannelPostStatus.Posted;
            }
            var error = row.Status == OutboxStatus.Sent ? "Telegram's answer had no message id." : row.LastError ?? row.Status.ToString();
            var error1000 = error.Length <= 1000 ? error : error[..1000];
            await sending.ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, ChannelPostStatus.Failed).SetProperty(x => x.Error, error1000)
                .SetProperty(x => x.UpdatedAt, now), ct);
            await tx.CommitAsync(ct);
            log.LogWarning("Channel post {Id} to {Chat} failed: {Error}", id, p.ChatId, error);
            return ChannelPostStatus.Failed;
        }
    }

    private static int? MessageIdOf(string? result)
    {
        if (result is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(result);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message_id", out var mid) && mid.TryGetInt32(out var v) ? v : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static InlineKeyboardMarkup? Keyboard(ChannelPost p)
    {
        var rows = p.ButtonRows();
        return rows.Count == 0 ? null
            : new InlineKeyboardMarkup(rows.Select(r => r.Select(x => InlineKeyboardButton.WithUrl(x.Text, x.Url)).ToArray()).ToArray());
    }

    /// <summary>Brings the posted message in line with the post's text and buttons (editMessageText, or editMessageCaption under a photo).</summary>
    public void EnqueueEdit(ChannelPost p)
    {
        var mid = p.MessageId ?? throw new InvalidOperationException("Only a posted post can be edited in the channel.");
        var keyboard = Keyboard(p) ?? new InlineKeyboardMarkup(Array.Empty<InlineKeyboardButton[]>());
        if (p.Photo is null)
            outbox.Enqueue(TargetOf(p), new EditMessageTextRequest { ChatId = ChatIdOf(p), MessageId = mid, Text = p.Text, ParseMode = ParseMode.Html, ReplyMarkup = keyboard });
        else
            outbox.Enqueue(TargetOf(p), new EditMessageCaptionRequest { ChatId = ChatIdOf(p), MessageId = mid, Caption = p.Text, ParseMode = ParseMode.Html, ReplyMarkup = keyboard });
    }

    public void EnqueuePin(ChannelPost p, bool pin)
    {
        var mid = p.MessageId ?? throw new InvalidOperationException("Only a posted post can be pinned.");
        if (pin) outbox.Enqueue(TargetOf(p), new PinChatMessageRequest { ChatId = ChatIdOf(p), MessageId = mid, DisableNotification = true });
        else outbox.Enqueue(TargetOf(p), new UnpinChatMessageRequest { ChatId = ChatIdOf(p), MessageId = mid });
    }

    public void EnqueueDelete(ChannelPost p)
    {
        var mid = p.MessageId ?? throw new InvalidOperationException("Only a posted post can be deleted from the channel.");
        outbox.Enqueue(TargetOf(p), new DeleteMessageRequest { ChatId = ChatIdOf(p), MessageId = mid });
    }
}

internal sealed class ChannelPostPublishJob(ChannelPostService posts) : JobHandler<ChannelPostService.PublishPayload>
{
    public override Task HandleAsync(ChannelPostService.PublishPayload payload, JobContext job, CancellationToken ct) => posts.PublishAsync(payload, ct);
}

internal sealed class ChannelPostSettleJob(ChannelPostService posts) : JobHandler<ChannelPostService.SettlePayload>
{
    public override Task HandleAsync(ChannelPostService.SettlePayload payload, JobContext job, CancellationToken ct) => posts.SettleAsync(payload, ct);
}
