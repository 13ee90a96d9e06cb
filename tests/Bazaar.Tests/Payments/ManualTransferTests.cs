using System.Net;
using System.Text.RegularExpressions;
using Bazaar.Server.Payments;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

public sealed class ManualTransferTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    private async Task<ProofOutcome> AttachProof(long id, string fileId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ManualTransfers>().AttachProofAsync(id, fileId, "photo", default);
    }

    [Fact]
    public async Task A_bank_transfer_gets_a_reference_and_instructions_then_approval_credits_once_and_tells_the_user()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "manual_bank", 25.00m);
        var id = p.GetProperty("id").GetInt64();
        var reference = p.GetProperty("reference").GetString()!;
        Assert.Matches(new Regex("^BZ-[A-Z2-9]{4}-[A-Z2-9]{4}$"), reference);
        Assert.Equal("PENDING", p.GetProperty("status").GetString());
        Assert.Equal("manual_bank", p.GetProperty("method").GetString());
        Assert.Equal($"Transfer 25.00 USD to IBAN PL61 1090 1014 0000 0712 1981 2874, title {reference}.", p.GetProperty("instructions").GetString());

        Assert.Equal(ProofOutcome.Attached, await AttachProof(id, "AgACAgIAAxkBAAIBW2"));
        using var client = factory.AdminClient();
        var pending = await (await client.GetAsync("/api/v1/admin/deposits?status=pending&pageSize=200")).ReadJson();
        var listed = pending.GetProperty("items").EnumerateArray().Single(x => x.GetProperty("id").GetInt64() == id);
        Assert.Equal("AgACAgIAAxkBAAIBW2", listed.GetProperty("proofFileId").GetString());
        Assert.Equal("photo", listed.GetProperty("proofKind").GetString());

        var approve = await client.PostAsync($"/api/v1/admin/deposits/{id}/approve", null);
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        Assert.Equal("COMPLETED", (await approve.ReadJson()).GetProperty("status").GetString());
        Assert.Equal(25_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Contains(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("25.00 USD has been added to your wallet"));

        await (await client.PostAsync($"/api/v1/admin/deposits/{id}/approve", null)).AssertProblem(409, "deposit_not_pending");
        Assert.Equal(25_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal(ProofOutcome.NotPending, await AttachProof(id, "late-proof"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Concurrent_approvals_of_one_deposit_credit_it_once()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var id = (await PaymentTestData.CreatePaymentAsync(factory, user.Id, "manual_blik", 40m)).GetProperty("id").GetInt64();
        using var client = factory.AdminClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.PostAsync($"/api/v1/admin/deposits/{id}/approve", null)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(11, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(40_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Single(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("added to your wallet"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_rejection_needs_a_reason_tells_the_user_and_credits_nothing()
    {
        var user = await MoneyTestData.CreateUserAsync(factory, "ru");
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "manual_blik", 10m);
        var id = p.GetProperty("id").GetInt64();
        Assert.Contains(p.GetProperty("reference").GetString()!, p.GetProperty("instructions").GetString());
        using var client = factory.AdminClient();

        await (await client.PostJson($"/api/v1/admin/deposits/{id}/reject", new { reason = "" })).AssertProblem(400, "reason_required");
        var reject = await client.PostJson($"/api/v1/admin/deposits/{id}/reject", new { reason = "No transfer with this title arrived" });
        Assert.Equal(HttpStatusCode.OK, reject.StatusCode);
        var body = await reject.ReadJson();
        Assert.Equal("FAILED", body.GetProperty("status").GetString());
        Assert.Equal("No transfer with this title arrived", body.GetProperty("statusReason").GetString());

        var texts = await PaymentTestData.TextsToAsync(factory, user.ExternalId);
        Assert.Contains(texts, t => t.Contains("отклонено") && t.Contains("No transfer with this title arrived") && t.Contains(p.GetProperty("reference").GetString()!));
        await (await client.PostAsync($"/api/v1/admin/deposits/{id}/approve", null)).AssertProblem(409, "deposit_not_pending");
        await (await client.PostJson($"/api/v1/admin/deposits/{id}/reject", new { reason = "again" })).AssertProblem(409, "deposit_not_pending");
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Deposit_endpoints_refuse_other_methods_and_unknown_ids()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var stripe = (await PaymentTestData.CreatePaymentAsync(factory, user.Id, "stripe", 5m)).GetProperty("id").GetInt64();
        using var client = factory.AdminClient();
        await (await client.PostAsync($"/api/v1/admin/deposits/{stripe}/approve", null)).AssertProblem(404, "deposit_not_found");
        await (await client.PostAsync("/api/v1/admin/deposits/987654321/approve", null)).AssertProblem(404, "deposit_not_found");
        Assert.Equal(ProofOutcome.NotManual, await AttachProof(stripe, "x"));
        Assert.Equal(ProofOutcome.NotFound, await AttachProof(987654321, "x"));
    }
}
