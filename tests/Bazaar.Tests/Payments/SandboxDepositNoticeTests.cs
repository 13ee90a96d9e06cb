using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Payments;

/// <summary>The sandbox as the Development config has it: user 9000 is the operator, 1001 a customer.</summary>
public sealed class SandboxOperatorFactory : BotAppFactory
{
    public const long Operator = 9000;
    public const long Customer = 1001;

    public SandboxOperatorFactory()
    {
        With("Sandbox:Enabled", "true");
        With("Shop:Currency", "USD");
        With("Admin:TelegramIds", Operator.ToString());
        With("Payments:Manual:Instructions:Bank", "Transfer {amount} to IBAN PL61 1090 1014 0000 0712 1981 2874, title {reference}.");
    }
}

public sealed class SandboxDepositNoticeTests(SandboxOperatorFactory app) : IClassFixture<SandboxOperatorFactory>
{
    private async Task<List<JsonElement>> Send(JsonObject update)
    {
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", update.ToJsonString());
        Assert.Equal(200, (int)r.StatusCode);
        return (await r.ReadJson()).GetProperty("messages").EnumerateArray().ToList();
    }

    private async Task<List<JsonElement>> MessagesFor(long chat) =>
        (await (await app.CreateClient().GetAsync($"/api/v1/sandbox/messages?chatId={chat}")).ReadJson()).EnumerateArray().ToList();

    [Fact]
    public async Task A_sandbox_customers_proof_reaches_the_operator_in_the_sandbox_and_Approve_there_credits_once()
    {
        const long customer = SandboxOperatorFactory.Customer, op = SandboxOperatorFactory.Operator;
        await Send(Updates.Text(customer, "/wallet"));
        await Send(Updates.Callback(customer, "wallet:deposit"));
        await Send(Updates.Callback(customer, "wallet:deposit:manual_bank"));
        await Send(Updates.Text(customer, "25"));
        var photo = Updates.Photo(customer, caption: "my transfer");
        photo["message"]!["photo"] = new JsonArray(new JsonObject
        {
            ["file_id"] = "sandbox-photo-9f8e7d", ["file_unique_id"] = "u9f8e7d", ["width"] = 640, ["height"] = 480, ["file_size"] = 1234,
        });
        Assert.StartsWith("📨 Thank you!", (await Send(photo)).Last(m => m.GetProperty("chatId").GetString() == customer.ToString()).GetProperty("text").GetString());

        var customerUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Sandbox && u.ExternalId == customer.ToString()));
        var payment = await app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == customerUser.Id));

        // The operator's notice is in the sandbox chat 9000, with the decision buttons; nothing went to Telegram.
        var notice = Assert.Single(await MessagesFor(op), m => m.GetProperty("text").GetString()?.StartsWith("🧾 New manual deposit #" + payment.Id) == true);
        Assert.Contains("From: Alice (@alice, sandbox 1001)", notice.GetProperty("text").GetString());
        var buttons = notice.GetProperty("replyMarkup").GetProperty("inline_keyboard")[0].EnumerateArray()
            .Select(b => (b.GetProperty("text").GetString(), b.GetProperty("callback_data").GetString())).ToList();
        Assert.Equal([($"✅ Approve #{payment.Id}", DepositBot.ApprovePrefix + payment.Id), ($"❌ Reject #{payment.Id}", DepositBot.RejectPrefix + payment.Id)], buttons);
        Assert.DoesNotContain(app.Bot.Calls, c => c.Method is "sendMessage" or "sendPhoto" or "sendDocument");

        // The operator presses Approve in the sandbox, twice: one credit.
        var approve = DepositBot.ApprovePrefix + payment.Id;
        var first = await Send(Updates.Callback(op, approve, notice.GetProperty("messageId").GetInt32()));
        Assert.Contains(first, m => m.GetProperty("text").GetString()?.StartsWith($"✅ Deposit #{payment.Id}") == true);
        var second = await Send(Updates.Callback(op, approve, notice.GetProperty("messageId").GetInt32()));
        Assert.Contains(second, m => m.GetProperty("method").GetString() == "answerCallbackQuery"
            && m.GetProperty("text").GetString() == $"Deposit #{payment.Id} is no longer pending (COMPLETED).");

        Assert.Equal(PaymentStatus.Completed, (await app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.Id == payment.Id))).Status);
        Assert.Equal(25_00, await MoneyTestData.BalanceAsync(app, customerUser.Id));
        Assert.Contains(await MessagesFor(customer), m => m.GetProperty("text").GetString()?.Contains("25.00 USD has been added to your wallet.") == true);
        await MoneyTestData.AssertLedgerOkAsync(app);
    }
}
