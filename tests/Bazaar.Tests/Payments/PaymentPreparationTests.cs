using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Payments;

/// <summary>
/// Stripe sessions and crypto quotes for bot deposits are made by the payments.prepare job, outside the update
/// processor's transaction. A fresh server per test: these tests move the clock through retry backoffs.
/// </summary>
public sealed class PaymentPreparationTests : IAsyncLifetime
{
    private DepositBotAppFactory app = null!;

    public async Task InitializeAsync()
    {
        app = new DepositBotAppFactory();
        app.With($"Jobs:Types:{PaymentPreparation.JobType}:MaxAttempts", "3");
        await app.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private async Task<(long Tg, Payment Payment)> AskToDeposit(string method, string amount, string lang = "en")
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Callback(tg, "wallet:deposit:" + method), Updates.Text(tg, amount, lang: lang));
        var user = await app.UserOf(tg);
        return (tg, await app.WithDb(db => db.Payments.AsNoTracking().Where(p => p.UserId == user.Id).OrderByDescending(p => p.Id).FirstAsync()));
    }

    private Task<Payment> PaymentById(long id) => app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.Id == id));

    /// <summary>Past any backoff (base 10 s · 2^(attempt-1), at most an hour).</summary>
    private void PastBackoff() => app.Clock.Advance(TimeSpan.FromHours(1));

    [Fact]
    public async Task While_Stripe_hangs_the_user_is_answered_and_other_chats_updates_are_accepted_and_processed()
    {
        app.Stripe.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (tg, p) = await AskToDeposit("stripe", "20").WaitAsync(TimeSpan.FromSeconds(30));
        // The handler's transaction committed without Stripe: the payment and the "preparing" reply exist.
        Assert.Equal(PaymentStatus.Pending, p.Status);
        Assert.Equal(["⏳ Preparing your payment of 20.00 USD…"], (await app.TextsFor(tg)).Skip(1));
        Assert.Equal(0, app.Stripe.Calls);

        var worker = Task.Run(app.RunJobs);
        await app.Stripe.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(worker.IsCompleted);

        // Stripe is holding the job's request: another chat's webhook update is accepted and handled meanwhile.
        var other = Updates.NewUserId();
        await app.Post(Updates.Text(other, "/wallet")).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await app.ProcessAll().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("👛", (await app.TextsFor(other)).Single());
        Assert.False(worker.IsCompleted);
        Assert.Null((await PaymentById(p.Id)).PayUrl);

        app.Stripe.Hold.SetResult();
        var runs = await worker.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobOutcome.Completed, Assert.Single(runs).Outcome);
        var ready = await PaymentById(p.Id);
        Assert.StartsWith("https://checkout.stripe.com/c/pay/cs_test_", ready.PayUrl);
        var link = await app.LastPayload(tg, "sendMessage");
        Assert.Contains("Top-up of <b>20.00 USD</b>: press the button to pay securely by Stripe.", link["text"]!.GetValue<string>());
        Assert.Equal([ready.PayUrl!], DepositBotAppFactory.Buttons(link, "url"));
    }

    [Fact]
    public async Task Stripe_500s_are_retried_with_backoff_and_the_link_arrives_when_Stripe_recovers()
    {
        app.Stripe.ServerErrors = 2;
        var (tg, p) = await AskToDeposit("stripe", "7.5");

        Assert.Equal(JobOutcome.Retrying, Assert.Single(await app.RunJobs()).Outcome);
        Assert.Empty(await app.RunJobs()); // waiting for its backoff
        PastBackoff();
        Assert.Equal(JobOutcome.Retrying, Assert.Single(await app.RunJobs()).Outcome);
        Assert.Equal(PaymentStatus.Pending, (await PaymentById(p.Id)).Status);
        PastBackoff();
        var last = Assert.Single(await app.RunJobs());
        Assert.Equal((JobOutcome.Completed, 3), (last.Outcome, last.Attempt));

        Assert.Equal(3, app.Stripe.Calls);
        var ready = await PaymentById(p.Id);
        Assert.Equal(PaymentStatus.Pending, ready.Status);
        Assert.NotNull(ready.ProviderPaymentId);
        var texts = await app.TextsFor(tg);
        Assert.Equal("⏳ Preparing your payment of 7.50 USD…", texts[^2]);
        Assert.Contains("Top-up of <b>7.50 USD</b>", texts[^1]);
    }

    [Fact]
    public async Task When_Stripe_keeps_failing_the_payment_fails_and_the_user_is_told_what_to_do_next()
    {
        app.Stripe.ServerErrors = 100;
        var (tg, p) = await AskToDeposit("stripe", "12", lang: "ru");
        var outcomes = new List<JobOutcome>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.AddRange((await app.RunJobs()).Select(r => r.Outcome));
            PastBackoff();
        }
        Assert.Equal([JobOutcome.Retrying, JobOutcome.Retrying, JobOutcome.Failed], outcomes);
        Assert.Equal(3, app.Stripe.Calls);

        var failed = await PaymentById(p.Id);
        Assert.Equal(PaymentStatus.Failed, failed.Status);
        Assert.Null(failed.PayUrl);
        Assert.StartsWith("Not prepared:", failed.StatusReason);
        var job = (await app.PreparationJobOf(p.Id))!;
        Assert.Equal((JobStatus.Failed, 3), (job.Status, job.Attempts));
        var texts = await app.TextsFor(tg);
        Assert.Equal("⏳ Готовим ваш платёж на 12.00 USD…", texts[^2]);
        Assert.Equal("😕 Сейчас не удалось подготовить платёж 💳 Карта (Stripe) на 12.00 USD; ничего не списано. " +
            "Попробуйте через несколько минут или выберите другой способ: /wallet → ➕ Пополнить.", texts[^1]);
        Assert.DoesNotContain(texts, t => t.Contains("checkout.stripe.com"));

        // An operator retrying the failed job changes nothing more: the payment is no longer waiting.
        using var admin = app.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/queue/{job.Id}/retry", null)).StatusCode);
        app.Stripe.ServerErrors = 0;
        Assert.Equal(JobOutcome.Completed, Assert.Single(await app.RunJobs()).Outcome);
        Assert.Equal(3, app.Stripe.Calls);
        Assert.Equal(texts.Count, (await app.TextsFor(tg)).Count);
    }

    [Fact]
    public async Task When_the_worker_dies_on_the_last_attempt_lease_recovery_fails_the_payment_and_tells_the_user_once()
    {
        app.Stripe.ServerErrors = 100;
        var (tg, p) = await AskToDeposit("stripe", "9");
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(JobOutcome.Retrying, Assert.Single(await app.RunJobs()).Outcome);
            PastBackoff();
        }
        var before = (await app.TextsFor(tg)).Count;
        // The third and last attempt is claimed, and its worker dies (kill -9) before any handler code finishes.
        var dead = await app.JobRunner.ClaimAsync("dead-worker", CancellationToken.None);
        Assert.Equal(3, dead!.Attempts);
        Assert.Equal(PaymentStatus.Pending, (await PaymentById(p.Id)).Status);

        app.Clock.Advance(TimeSpan.FromHours(1)); // past the lease
        var recovered = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
            Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<JobRunner>(app.Services).RecoverExpiredLeasesAsync(CancellationToken.None))));
        Assert.Equal(1, recovered.Sum());
        Assert.Empty(await app.RunJobs());
        Assert.Equal(0, await app.JobRunner.RecoverExpiredLeasesAsync(CancellationToken.None));

        var job = (await app.PreparationJobOf(p.Id))!;
        Assert.Equal((JobStatus.Failed, 3), (job.Status, job.Attempts));
        var failed = await PaymentById(p.Id);
        Assert.Equal(PaymentStatus.Failed, failed.Status);
        Assert.Equal("Not prepared: The worker's lease expired on the last attempt.", failed.StatusReason);
        var texts = await app.TextsFor(tg);
        Assert.Equal(before + 1, texts.Count);
        Assert.StartsWith("😕 We couldn't prepare your 💳 Card (Stripe) payment of 9.00 USD right now", texts[^1]);
        Assert.Equal(2, app.Stripe.Calls);
    }

    [Fact]
    public async Task A_request_Stripe_refuses_fails_at_once_without_retrying()
    {
        app.Stripe.FailNext = true;
        var (tg, p) = await AskToDeposit("stripe", "5");
        var run = Assert.Single(await app.RunJobs());
        Assert.Equal((JobOutcome.Failed, 1), (run.Outcome, run.Attempt));
        Assert.Equal(PaymentStatus.Failed, (await PaymentById(p.Id)).Status);
        Assert.StartsWith("😕 We couldn't prepare your 💳 Card (Stripe) payment of 5.00 USD right now, and nothing was charged.", (await app.TextsFor(tg)).Last());
    }

    [Fact]
    public async Task A_crypto_deposit_while_the_rate_API_is_down_is_retried_and_quoted_once_it_is_back()
    {
        app.Chain.RatesDown = true;
        var (tg, p) = await AskToDeposit("btc", "50");
        Assert.Equal(PaymentStatus.Pending, p.Status);
        Assert.Equal(["⏳ Preparing your payment of 50.00 USD…"], (await app.TextsFor(tg)).Skip(1));

        Assert.Equal(JobOutcome.Retrying, Assert.Single(await app.RunJobs()).Outcome);
        Assert.False(await app.WithDb(db => db.CryptoDeposits.AnyAsync(d => d.PaymentId == p.Id)));
        app.Chain.RatesDown = false;
        PastBackoff();
        Assert.Equal(JobOutcome.Completed, Assert.Single(await app.RunJobs()).Outcome);

        var quoted = await PaymentById(p.Id);
        Assert.Equal((100_000L, "BTC"), (quoted.PayAmount, quoted.PayCurrency));
        var deposit = await app.WithDb(db => db.CryptoDeposits.AsNoTracking().SingleAsync(d => d.PaymentId == p.Id));
        Assert.Equal($"bitcoin:{deposit.Address}?amount=0.001", quoted.PayUrl);
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime.AddMinutes(30), deposit.QuoteExpiresAt);
        Assert.Contains($"Send exactly <b>0.001 BTC</b> (50.00 USD) to this ₿ Bitcoin address:\n<code>{deposit.Address}</code>", (await app.TextsFor(tg)).Last());
        Assert.Single((await app.OutboxFor(tg)), m => m.Method == "sendPhoto");
    }

    [Fact]
    public async Task In_the_sandbox_the_reply_says_preparing_and_the_link_follows_on_the_messages_feed()
    {
        var user = Updates.NewUserId();
        var client = app.CreateClient();
        async Task<List<JsonElement>> Sandbox(JsonObject update)
        {
            var r = await client.PostRaw("/api/v1/sandbox/updates", update.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return (await r.ReadJson()).GetProperty("messages").EnumerateArray().ToList();
        }

        await Sandbox(Updates.Callback(user, "wallet:deposit:stripe"));
        var reply = Assert.Single(await Sandbox(Updates.Text(user, "9")));
        Assert.Equal("⏳ Preparing your payment of 9.00 USD…", reply.GetProperty("text").GetString());
        await app.RunJobs();

        var feed = await client.GetAsync($"/api/v1/sandbox/messages?chatId={user}&after={reply.GetProperty("id").GetInt64()}");
        var link = Assert.Single((await feed.ReadJson()).EnumerateArray().ToList());
        Assert.StartsWith("Top-up of <b>9.00 USD</b>", link.GetProperty("text").GetString());
        Assert.StartsWith("https://checkout.stripe.com/", link.GetProperty("replyMarkup").GetProperty("inline_keyboard")[0][0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task Cancelling_a_queued_preparation_cancels_the_payment_and_tells_the_user()
    {
        var (tg, p) = await AskToDeposit("ltc", "10");
        var job = (await app.PreparationJobOf(p.Id))!;
        using var admin = app.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/queue/{job.Id}/cancel", null)).StatusCode);

        Assert.Equal(PaymentStatus.Cancelled, (await PaymentById(p.Id)).Status);
        Assert.StartsWith("😕 We couldn't prepare your", (await app.TextsFor(tg)).Last());
        Assert.Empty(await app.RunJobs());
        Assert.False(await app.WithDb(db => db.CryptoDeposits.AnyAsync(d => d.PaymentId == p.Id)));
    }
}
