using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Raffles;

/// <summary>An active raffle 1-100 with a dozen tickets sold to demo customers, to buy more in the sandbox.</summary>
internal sealed class RafflesDemoSeed(TimeProvider clock) : IDemoSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (await db.Raffles.AnyAsync(ct)) return;
        var now = clock.GetUtcNow().UtcDateTime;
        var seed = FairDraw.NewSeed();
        var raffle = new Raffle
        {
            Title = "Summer bike raffle", Description = "A city bike, donated by the neighbourhood workshop.", Prize = "🚲 A city bike (worth $450)",
            TicketPrice = 2_00, Currency = "USD", NumberFrom = 1, NumberTo = 100, MaxTicketsPerOrder = 10, DrawAt = now.Date.AddDays(14).AddHours(18),
            Status = RaffleStatus.Active, TicketsGeneratedAt = now, DrawSeed = Convert.ToHexStringLower(seed), DrawCommitment = FairDraw.Commitment(seed),
            CreatedAt = now, UpdatedAt = now,
        };
        db.Raffles.Add(raffle);
        await db.SaveChangesAsync(ct);
        db.RaffleTickets.AddRange(Enumerable.Range(1, 100).Select(n => new RaffleTicket { RaffleId = raffle.Id, Number = n }));
        await db.SaveChangesAsync(ct);

        int[][] sold = [[7, 13, 21], [42], [50, 51, 52, 53], [77, 88, 99, 100]];
        for (var i = 0; i < sold.Length; i++)
        {
            var external = $"demo-raffle-{i + 1}";
            var user = await db.Users.FirstOrDefaultAsync(u => u.Channel == ChatChannel.Sandbox && u.ExternalId == external, ct);
            if (user is null)
            {
                user = new ChatUser { Channel = ChatChannel.Sandbox, ExternalId = external, FirstName = $"Demo buyer {i + 1}", CreatedAt = now, LastSeenAt = now };
                db.Users.Add(user);
                await db.SaveChangesAsync(ct);
            }
            var order = new RaffleOrder
            {
                RaffleId = raffle.Id, UserId = user.Id, Status = RaffleOrderStatus.Paid, Numbers = string.Join(',', sold[i]), TicketCount = sold[i].Length,
                Amount = raffle.TicketPrice * sold[i].Length, Currency = raffle.Currency, CreatedAt = now, ConfirmedAt = now, PaidAt = now, PaidWith = "manual",
            };
            db.RaffleOrders.Add(order);
            await db.SaveChangesAsync(ct);
            var numbers = sold[i];
            await db.RaffleTickets.Where(t => t.RaffleId == raffle.Id && numbers.Contains(t.Number))
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, TicketStatus.Sold).SetProperty(t => t.OrderId, order.Id).SetProperty(t => t.SoldAt, now), ct);
        }
    }
}
