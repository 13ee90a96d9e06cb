using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Referrals;
using Bazaar.Tests.Payments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Referrals;

/// <summary>The bot against the fake Bot API, with Robokassa and Stars configured: deposits complete through real callbacks.</summary>
public class ReferralsAppFactory : BotAppFactory
{
    public ReferralsAppFactory()
    {
        With("Shop:Currency", "USD");
        With("Payments:PublicUrl", "https://shop.example");
        With("Payments:Robokassa:MerchantLogin", PaymentsAppFactory.RobokassaLogin);
        With("Payments:Robokassa:Password1", PaymentsAppFactory.RobokassaPassword1);
        With("Payments:Robokassa:Password2", PaymentsAppFactory.RobokassaPassword2);
        With("Payments:Robokassa:IsTest", "true");
        With("Payments:Stars:StarsPerUnit", "50");
        With("Payments:Stars:RefundRecoverySeconds", "300");
    }
}

/// <summary>Milestones every 3 active referrals, 2 credits each; tiers at 1 / 5 / 10 / 50 USD; 10% commission.</summary>
public class SmallStepsAppFactory : ReferralsAppFactory
{
    public SmallStepsAppFactory()
    {
        With("Referrals:CommissionPercent", "10");
        With("Referrals:MilestoneCount", "3");
        With("Referrals:MilestoneReward", "2");
        With("Referrals:Tiers:Silver", "1");
        With("Referrals:Tiers:Gold", "5");
        With("Referrals:Tiers:Platinum", "10");
        With("Referrals:Tiers:Diamond", "50");
    }
}

/// <summary>A referral is active only after its first completed deposit.</summary>
public sealed class FirstDepositAppFactory : SmallStepsAppFactory
{
    public FirstDepositAppFactory() => With("Referrals:ActiveWhen", "FirstDeposit");
}

/// <summary>A factory of its own for each leaderboard test class: ranks depend on every referrer in the database.</summary>
public sealed class LeaderboardAppFactory : ReferralsAppFactory;

public static class ReferralTestData
{
    private static string Md5Hex(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));

    public static Task<ChatUser> UserOf(this AppFactory f, long telegramId) =>
        f.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == telegramId.ToString()));

    /// <summary>A Telegram user who has started the bot (no referral).</summary>
    public static async Task<(long Tg, ChatUser User)> Starter(this BotAppFactory f, string name = "Alice", string? username = null)
    {
        var tg = Updates.NewUserId();
        await f.Send(Updates.Text(tg, "/start", name: name, username: username));
        return (tg, await f.UserOf(tg));
    }

    /// <summary>A newcomer whose first update is /start ref_&lt;code of referrer&gt;.</summary>
    public static async Task<(long Tg, ChatUser User)> Invitee(this BotAppFactory f, ChatUser referrer, string name = "Friend")
    {
        var tg = Updates.NewUserId();
        await f.Send(Updates.Text(tg, "/start ref_" + ReferralCodes.Of(referrer.Id), name: name, username: null));
        return (tg, await f.UserOf(tg));
    }

    public static Task<Referral?> ReferralOf(this AppFactory f, long refereeId) =>
        f.WithDb(db => db.Referrals.AsNoTracking().SingleOrDefaultAsync(r => r.RefereeId == refereeId));

    public static Task<List<ReferralCommission>> CommissionsOf(this AppFactory f, long referrerId) =>
        f.WithDb(db => db.ReferralCommissions.AsNoTracking().Where(c => c.ReferrerId == referrerId).OrderBy(c => c.Id).ToListAsync());

    /// <summary>A Robokassa deposit for the user, completed by <paramref name="callbacks"/> identical signed ResultURL calls at once.</summary>
    public static async Task<long> RobokassaDeposit(this AppFactory f, long userId, decimal amount, int callbacks = 1)
    {
        var id = (await PaymentTestData.CreatePaymentAsync(f, userId, "robokassa", amount, "USD")).GetProperty("id").GetInt64();
        var sum = amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        var signature = Md5Hex($"{sum}:{id}:{PaymentsAppFactory.RobokassaPassword2}:Shp_user={userId}");
        var responses = await Task.WhenAll(Enumerable.Range(0, callbacks).Select(async _ =>
        {
            using var client = f.CreateClient();
            return await client.PostAsync("/api/v1/payments/robokassa/result", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["OutSum"] = sum, ["InvId"] = id.ToString(), ["SignatureValue"] = signature, ["Shp_user"] = userId.ToString(),
            }));
        }));
        foreach (var r in responses) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return id;
    }

    /// <summary>A Stars deposit completed as Telegram's successful_payment would.</summary>
    public static async Task<long> StarsDeposit(this AppFactory f, long userId, decimal usd)
    {
        var id = (await PaymentTestData.CreatePaymentAsync(f, userId, "stars", usd)).GetProperty("id").GetInt64();
        await using var scope = f.Services.CreateAsyncScope();
        var done = await scope.ServiceProvider.GetRequiredService<StarsPayments>()
            .CompleteStarsPaymentAsync("charge-" + Guid.NewGuid().ToString("N"), $"pay:{id}", (long)(usd * 50), default);
        Assert.Equal(CompleteOutcome.Completed, done.Outcome);
        return id;
    }

    /// <summary>The texts sent to a Telegram chat, decoded.</summary>
    public static async Task<List<string>> Texts(this BotAppFactory f, long tg) => await f.TextsFor(tg);

    public static async Task<JsonObject> LastMessage(this BotAppFactory f, long tg) =>
        JsonNode.Parse((await f.OutboxFor(tg)).Last(m => m.Method is "sendMessage" or "editMessageText").Payload)!.AsObject();
}
