using System.Globalization;
using System.Net;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Requests;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// The giveaway post in a channel: published with a Join button, its participant count kept current by
/// <c>giveaways.post</c> with at most one edit per Giveaways:PostEditSeconds (joins never edit it themselves),
/// and edited to the results and the verification link at the end. Works in the caller's unit of work.
/// </summary>
public sealed class GiveawayPosts(BazaarDb db, Outbox outbox, TimeProvider clock, IOptions<GiveawayOptions> options)
{
    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");

    public string Text(Giveaway g, int count, string lang = Languages.English) => string.Format(CultureInfo.InvariantCulture,
        GiveawayTexts.Post.In(lang), H(g.Title), H(g.Description), H(g.Prize), g.WinnerCount, GiveawayBot.Time(g.EndsAt), count, g.Commitment);

    /// <summary>Queues the post (a photo with a caption when the giveaway has one) and remembers where it goes.</summary>
    public void Publish(Giveaway g, string channel, string chatId)
    {
        var to = new ChatTarget(channel, chatId);
        var keyboard = GiveawayBot.JoinKeyboard(Languages.English, g.Id);
        var message = g.PhotoUrl is { Length: > 0 } photo
            ? outbox.SendPhoto(to, photo, Text(g, g.ParticipantCount), keyboard)
            : outbox.SendText(to, Text(g, g.ParticipantCount), keyboard);
        g.PostChannel = channel;
        g.PostChatId = chatId;
        g.PostMessage = message;
        g.PostMessageId = null;
        g.PostShownCount = g.ParticipantCount;
        g.PostEditedAt = clock.GetUtcNow().UtcDateTime;
    }

    /// <summary>
    /// One pass of <c>giveaways.post</c>: each running post whose count is stale and was last edited at least
    /// PostEditSeconds ago gets one edit. Returns how many edits were queued.
    /// </summary>
    public async Task<int> RefreshCountsAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var since = now.AddSeconds(-options.Value.PostEditSeconds);
        var stale = await db.Giveaways.Where(g => g.Status == GiveawayStatus.Published && (g.PostOutboxId != null || g.PostMessageId != null)
                && g.ParticipantCount != g.PostShownCount && (g.PostEditedAt == null || g.PostEditedAt <= since))
            .Take(100).ToListAsync(ct);
        var edits = 0;
        foreach (var g in stale)
        {
            if (await MessageIdAsync(g, ct) is not { } messageId) continue; // the post itself is not out yet
            var count = g.ParticipantCount;
            Edit(g, messageId, Text(g, count), GiveawayBot.JoinKeyboard(Languages.English, g.Id));
            g.PostShownCount = count;
            g.PostEditedAt = now;
            edits++;
        }
        await db.SaveChangesAsync(ct);
        return edits;
    }

    public async Task QueueResultsEditAsync(Giveaway g, int participants, IReadOnlyList<long> winners, string link, CancellationToken ct)
    {
        var tracked = await db.Giveaways.FirstAsync(x => x.Id == g.Id, ct);
        if (tracked.PostChatId is null || await MessageIdAsync(tracked, ct) is not { } messageId) return;
        var text = string.Format(CultureInfo.InvariantCulture, GiveawayTexts.PostResults.In(Languages.English), H(g.Title), participants,
            winners.Count == 0 ? "—" : string.Join(", ", winners.Select(w => "#" + w)), H(link));
        Edit(tracked, messageId, text, null);
        tracked.PostShownCount = participants;
        tracked.PostEditedAt = clock.GetUtcNow().UtcDateTime;
    }

    private void Edit(Giveaway g, int messageId, string text, InlineKeyboardMarkup? keyboard)
    {
        var to = new ChatTarget(g.PostChannel!, g.PostChatId!);
        if (g.PhotoUrl is { Length: > 0 })
            outbox.Enqueue(to, new EditMessageCaptionRequest
            {
                ChatId = long.TryParse(g.PostChatId, out var id) ? id : g.PostChatId!, MessageId = messageId, Caption = text,
                ParseMode = ParseMode.Html, ReplyMarkup = keyboard,
            });
        else outbox.EditText(to, messageId, text, keyboard);
    }

    /// <summary>The post's message id, read from what the Bot API answered to the outbox row that sent it.</summary>
    private async Task<int?> MessageIdAsync(Giveaway g, CancellationToken ct)
    {
        if (g.PostMessageId is { } known) return known;
        var result = await db.Outbox.AsNoTracking().Where(m => m.Id == g.PostOutboxId && m.Status == OutboxStatus.Sent)
            .Select(m => m.Result).FirstOrDefaultAsync(ct);
        if (result is null) return null;
        using var doc = JsonDocument.Parse(result);
        if (!doc.RootElement.TryGetProperty("message_id", out var id)) return null;
        g.PostMessageId = id.GetInt32();
        return g.PostMessageId;
    }
}

/// <summary><c>giveaways.post</c>: the paced participant-count edits.</summary>
public sealed class PostRefreshJob(GiveawayPosts posts) : IJobHandler
{
    public const string JobType = "giveaways.post";
    public Task HandleAsync(JobContext job, CancellationToken ct) => posts.RefreshCountsAsync(ct);
}

/// <summary>
/// <c>giveaways.delivery</c> (every minute): each winner notice's outbox outcome becomes the winner's delivery status
/// (sent: delivered; dropped because the user blocked the bot: blocked; failed: failed with the error).
/// </summary>
public sealed class WinnerDeliveryJob(BazaarDb db, TimeProvider clock) : IJobHandler
{
    public const string JobType = "giveaways.delivery";

    public Task HandleAsync(JobContext job, CancellationToken ct) => SyncAsync(db, clock.GetUtcNow().UtcDateTime, ct);

    public static async Task<int> SyncAsync(BazaarDb db, DateTime now, CancellationToken ct)
    {
        var pending = await (from w in db.GiveawayWinners
                             join m in db.Outbox on w.OutboxMessageId equals m.Id
                             where w.Delivery == WinnerDelivery.Pending || w.DeliveryAttempts != m.Attempts
                             select new { w, m.Status, m.Attempts, m.LastError, m.SentAt }).Take(500).ToListAsync(ct);
        foreach (var x in pending)
        {
            x.w.DeliveryAttempts = x.Attempts;
            x.w.DeliveryError = x.LastError;
            x.w.Delivery = x.Status switch
            {
                OutboxStatus.Sent => WinnerDelivery.Delivered,
                OutboxStatus.Dropped => WinnerDelivery.Blocked,
                OutboxStatus.Failed => WinnerDelivery.Failed,
                _ => WinnerDelivery.Pending,
            };
            x.w.DeliveryUpdatedAt = x.SentAt ?? now;
        }
        await db.SaveChangesAsync(ct);
        return pending.Count;
    }
}
