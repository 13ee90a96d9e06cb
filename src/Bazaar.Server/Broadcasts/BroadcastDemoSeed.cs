using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Broadcasts;

/// <summary>A finished broadcast to the demo users, so GET /api/v1/admin/broadcasts has one to show (nothing is sent).</summary>
internal sealed class BroadcastDemoSeed(TimeProvider clock) : IDemoSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (await db.Broadcasts.AnyAsync(ct)) return;
        var users = await db.Users.AsNoTracking().Where(u => Segments.Channels.Contains(u.Channel) && !u.IsBlocked)
            .OrderBy(u => u.Id).Select(u => new { u.Id, u.Channel, u.ExternalId }).ToListAsync(ct);
        if (users.Count == 0) return;
        var at = clock.GetUtcNow().UtcDateTime.AddDays(-2);
        var b = new Broadcast
        {
            Text = "❄️ <b>Winter sale</b>: 20% off every digital key until Sunday. Open /start to see the catalog.",
            Buttons = BroadcastContent.ButtonsJson([[new BroadcastButton("Read more", "https://example.com/winter-sale")]]),
            Segment = Segments.All, Status = BroadcastStatus.Completed, CreatedBy = "demo", Total = users.Count, Tick = 2,
            CreatedAt = at, StartedAt = at, FedAt = at, FinishedAt = at.AddSeconds(1),
        };
        db.Broadcasts.Add(b);
        await db.SaveChangesAsync(ct);
        db.BroadcastRecipients.AddRange(users.Select(u => new BroadcastRecipient
        {
            BroadcastId = b.Id, UserId = u.Id, Channel = u.Channel, ChatId = u.ExternalId, State = RecipientState.Sent, QueuedAt = at, FinishedAt = at,
        }));
        await db.SaveChangesAsync(ct);
    }
}
