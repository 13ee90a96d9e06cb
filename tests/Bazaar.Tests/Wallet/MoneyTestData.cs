using System.Text.Json;
using Bazaar.Server.Data;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Wallet;

/// <summary>Shared steps for money tests: make a chat user, and check the ledger invariant afterwards.</summary>
public static class MoneyTestData
{
    private static long _nextExternalId = Random.Shared.NextInt64(1_000_000, 9_000_000);

    public static Task<ChatUser> CreateUserAsync(AppFactory factory, string language = "en") =>
        factory.WithDb(async db =>
        {
            var u = new ChatUser
            {
                Channel = ChatChannel.Telegram, ExternalId = Interlocked.Increment(ref _nextExternalId).ToString(),
                FirstName = "Test", LanguageCode = language, CreatedAt = factory.Clock.GetUtcNow().UtcDateTime,
                LastSeenAt = factory.Clock.GetUtcNow().UtcDateTime,
            };
            db.Users.Add(u);
            await db.SaveChangesAsync();
            return u;
        });

    /// <summary>GET /api/v1/admin/ledger/verify must report no mismatch, no unbalanced transaction, no negative wallet.</summary>
    public static async Task<JsonElement> AssertLedgerOkAsync(AppFactory factory)
    {
        using var client = factory.AdminClient();
        var response = await client.GetAsync("/api/v1/admin/ledger/verify");
        Assert.Equal(200, (int)response.StatusCode);
        var body = await response.ReadJson();
        Assert.True(body.GetProperty("ok").GetBoolean(), "ledger verify failed: " + body);
        return body;
    }

    /// <summary>A system account's cached balance (0 before its first posting).</summary>
    public static Task<long> SystemBalanceAsync(AppFactory factory, Bazaar.Server.Wallet.AccountRef account, string currency = "USD") =>
        factory.WithDb(db => db.LedgerAccounts.Where(a => a.Key == account.Key && a.Currency == currency).Select(a => a.Balance).FirstOrDefaultAsync());

    public static Task<long> BalanceAsync(AppFactory factory, long userId, string currency = "USD") =>
        factory.WithDb(db =>
        {
            var key = $"wallet:{userId}";
            return Task.FromResult(db.LedgerAccounts.Where(a => a.Key == key && a.Currency == currency).Select(a => a.Balance).FirstOrDefault());
        });
}
