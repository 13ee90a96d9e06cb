using Bazaar.Server.Broadcasts;
using Bazaar.Server.Data;
using Bazaar.Tests.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Broadcasts;

/// <summary>Users in bulk, and a loop that steps the broadcast's jobs and the outbox sender on the fake clock.</summary>
public static class BroadcastHarness
{
    private static long _next = 710_000_000;

    /// <summary>Adds telegram users (chat id = external id) and returns their Bazaar ids and chat ids.</summary>
    public static async Task<List<(long Id, string Chat)>> AddUsersAsync(AppFactory app, int count, string language = "en",
        string channel = ChatChannel.Telegram, bool blocked = false)
    {
        var first = Interlocked.Add(ref _next, count) - count;
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var users = Enumerable.Range(0, count).Select(i => new ChatUser
        {
            Channel = channel, ExternalId = (first + i).ToString(System.Globalization.CultureInfo.InvariantCulture), FirstName = "U" + i,
            LanguageCode = language, CreatedAt = now, LastSeenAt = now, IsBlocked = blocked,
        }).ToList();
        await app.WithDb(async db =>
        {
            foreach (var chunk in users.Chunk(2000))
            {
                db.Users.AddRange(chunk);
                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }
        });
        return users.Select(u => (u.Id, u.ExternalId)).ToList();
    }

    public static Task<Broadcast> GetAsync(AppFactory app, long id) =>
        app.WithDb(db => db.Broadcasts.AsNoTracking().SingleAsync(b => b.Id == id));

    /// <summary>Runs due jobs and sender rounds, then moves the clock, until <paramref name="done"/> or the step limit.</summary>
    public static async Task<int> DriveAsync(OutboxAppHost h, Func<Task<bool>> done, int maxSteps, double stepSeconds = 0.5)
    {
        for (var step = 0; step < maxSteps; step++)
        {
            await JobSteps.DrainAsync(h.App);
            for (var r = await h.RunOnce(); r.Claimed > 0; r = await h.RunOnce()) { }
            if (await done()) return step;
            h.Advance(TimeSpan.FromSeconds(stepSeconds));
        }
        return maxSteps;
    }

    public static Task<int> DriveUntilStatusAsync(OutboxAppHost h, long id, BroadcastStatus status, int maxSteps) =>
        DriveAsync(h, async () => (await GetAsync(h.App, id)).Status == status, maxSteps);
}
