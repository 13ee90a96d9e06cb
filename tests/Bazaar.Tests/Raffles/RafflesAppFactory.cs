using Bazaar.Server.Data;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Shop;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Raffles;

/// <summary>The bot server with proofs stored in a folder of its own.</summary>
public class RafflesAppFactory : ShopAppFactory
{
    public string ProofFolder { get; } = Path.Combine(Path.GetTempPath(), "bazaar-proofs-" + Guid.NewGuid().ToString("N"));

    public RafflesAppFactory()
    {
        With("Raffles:ProofFolder", ProofFolder);
        With("Raffles:ProofMaxBytes", "4096");
    }

    public Task<RaffleResult> Reserve(long userId, long raffleId, TicketPick pick) =>
        In(sp => sp.GetRequiredService<RaffleOrders>().ReserveAsync(userId, raffleId, pick, CancellationToken.None));

    public Task<T> Orders<T>(Func<RaffleOrders, Task<T>> work) => In(sp => work(sp.GetRequiredService<RaffleOrders>()));
}

public static class RaffleTestData
{
    public static async Task<Raffle> ActiveAsync(AppFactory f, int from = 1, int to = 100, int max = 10, long price = 1_50)
    {
        var raffle = await f.WithDb(async db =>
        {
            var now = f.Clock.GetUtcNow().UtcDateTime;
            var r = new Raffle
            {
                Title = "Raffle " + Guid.NewGuid().ToString("N")[..6], TicketPrice = price, Currency = "USD", NumberFrom = from, NumberTo = to,
                MaxTicketsPerOrder = max, Status = RaffleStatus.Active, CreatedAt = now, UpdatedAt = now, DrawSeed = new string('a', 64),
                DrawCommitment = new string('b', 64),
            };
            db.Raffles.Add(r);
            await db.SaveChangesAsync();
            return r;
        });
        await using var scope = f.Services.CreateAsyncScope();
        var (_, error, _) = await scope.ServiceProvider.GetRequiredService<RaffleOrders>().GenerateAsync(raffle.Id, false, CancellationToken.None);
        Assert.Null(error);
        raffle.TicketsGeneratedAt = f.Clock.GetUtcNow().UtcDateTime;
        return raffle;
    }

    /// <summary>The invariant: every held or sold ticket belongs to exactly one order that is live or paid, and each such order owns exactly its numbers.</summary>
    public static async Task AssertNoTicketInTwoOrdersAsync(AppFactory f, long raffleId)
    {
        await f.WithDb(async db =>
        {
            var now = f.Clock.GetUtcNow().UtcDateTime;
            var tickets = await db.RaffleTickets.AsNoTracking().Where(t => t.RaffleId == raffleId).ToListAsync();
            var orders = await db.RaffleOrders.AsNoTracking().Where(o => o.RaffleId == raffleId).ToListAsync();
            var claimed = new Dictionary<int, long>();
            foreach (var o in orders.Where(o => o.Status == RaffleOrderStatus.Paid || (RaffleOrderStatus.IsLive(o.Status) && (o.ExpiresAt is null || o.ExpiresAt > now))))
            {
                foreach (var n in o.Numbers.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
                {
                    Assert.True(claimed.TryAdd(n, o.Id), $"Ticket {n} is in orders {claimed.GetValueOrDefault(n)} and {o.Id}");
                    var t = tickets.Single(x => x.Number == n);
                    Assert.Equal(o.Id, t.OrderId);
                    Assert.Equal(o.Status == RaffleOrderStatus.Paid ? TicketStatus.Sold : TicketStatus.Reserved, t.Status);
                }
                Assert.Equal(o.TicketCount, tickets.Count(t => t.OrderId == o.Id));
            }
            foreach (var t in tickets.Where(t => t.Status != TicketStatus.Available && !(t.Status == TicketStatus.Reserved && t.HeldUntil <= now)))
                Assert.True(claimed.ContainsKey(t.Number), $"Ticket {t.Number} is {t.Status} without a live order");
        });
    }

    public static Task<RaffleOrder> OrderAsync(AppFactory f, long id) => f.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.Id == id));

    public static Task<Dictionary<int, string>> TicketsAsync(AppFactory f, long raffleId) =>
        f.WithDb(db => db.RaffleTickets.AsNoTracking().Where(t => t.RaffleId == raffleId).ToDictionaryAsync(t => t.Number, t => t.Status));
}
