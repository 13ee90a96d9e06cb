using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Net.Http.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Infrastructure;
using Bazaar.Server.Payments;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

public sealed class DepositBotTests(DepositBotAppFactory app) : IClassFixture<DepositBotAppFactory>
{
    private const long Admin = BotAppFactory.AdminUserId;

    private Task<Payment> LastPaymentOf(long userId) =>
        app.WithDb(db => db.Payments.AsNoTracking().Where(p => p.UserId == userId).OrderByDescending(p => p.Id).FirstAsync());

    private Task<Payment> PaymentById(long id) => app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.Id == id));

    /// <summary>Presses Deposit, picks the method and sends the amount, as a user would; then the job workers run.</summary>
    private async Task<(long Tg, long UserId, Payment Payment)> Deposit(string method, string amount, string lang = "en")
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/wallet", lang: lang));
        await app.Send(Updates.Callback(tg, "wallet:deposit"), Updates.Callback(tg, "wallet:deposit:" + method), Updates.Text(tg, amount, lang: lang));
        await app.RunJobs();
        var user = await app.UserOf(tg);
        return (tg, user.Id, await LastPaymentOf(user.Id));
    }

    private static JsonObject PreCheckout(long tg, string payload, int total, string currency = "XTR")
    {
        var u = Updates.PreCheckout(tg, payload);
        u["pre_checkout_query"]!["total_amount"] = total;
        u["pre_checkout_query"]!["currency"] = currency;
        return u;
    }

    private static JsonObject Paid(long tg, string payload, int total, string charge)
    {
        var u = Updates.SuccessfulPayment(tg, payload);
        u["message"]!["successful_payment"]!["total_amount"] = total;
        u["message"]!["successful_payment"]!["telegram_payment_charge_id"] = charge;
        return u;
    }

    [Fact]
    public async Task The_deposit_button_offers_only_the_configured_methods_and_refuses_others()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Callback(tg, "wallet:deposit", messageId: 9));
        var choice = await app.LastPayload(tg, "editMessageText");
        Assert.Equal("How would you like to top up your wallet?", choice["text"]!.GetValue<string>());
        Assert.Equal(["wallet:deposit:manual_bank", "wallet:deposit:btc", "wallet:deposit:ltc", "wallet:deposit:stars",
            "wallet:deposit:stripe", "wallet:deposit:robokassa", "wallet:show"], DepositBotAppFactory.Buttons(choice));

        // BLIK has no instructions configured: a forged button gets a refusal and no step starts.
        await app.Send(Updates.Callback(tg, "wallet:deposit:manual_blik"), Updates.Text(tg, "10"));
        var answer = (await app.OutboxFor(tg)).Last(m => m.Method == "answerCallbackQuery");
        Assert.Contains("not available", JsonNode.Parse(answer.Payload)!["text"]!.GetValue<string>());
        Assert.Equal("I didn't understand that. Send /help to see what I can do.", (await app.TextsFor(tg)).Last());
    }

    [Fact]
    public async Task A_bad_amount_gets_a_friendly_message_saying_what_to_type_and_the_step_waits_for_a_good_one()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Callback(tg, "wallet:deposit:stripe", messageId: 3));
        Assert.Contains("Send the amount in USD", (await app.LastPayload(tg, "editMessageText"))["text"]!.GetValue<string>());

        await app.Send(Updates.Text(tg, "ten dollars"), Updates.Text(tg, "-5"), Updates.Text(tg, "1.234"), Updates.Text(tg, "0"),
            Updates.Text(tg, "99999999"), Updates.Photo(tg));
        var texts = await app.TextsFor(tg);
        var errors = texts.Skip(1).ToList();
        Assert.Equal(6, errors.Count);
        Assert.All(errors, t => Assert.StartsWith("I couldn't read that as an amount. Please send just a number in USD between 0.01 and 1000000", t));
        var user = await app.UserOf(tg);
        Assert.False(await app.WithDb(db => db.Payments.AnyAsync(p => p.UserId == user.Id)));

        await app.Send(Updates.Text(tg, "12,50"));
        var p = await LastPaymentOf(user.Id);
        Assert.Equal(12_50, p.Amount);
        Assert.Equal(PaymentMethod.Stripe, p.Method);
    }

    [Fact]
    public async Task Manual_bank_deposit_proof_reaches_the_admin_who_approves_it_once_even_when_tapping_twice()
    {
        var (tg, userId, p) = await Deposit("manual_bank", "25");
        Assert.Equal(PaymentMethod.ManualBank, p.Method);
        var instructions = (await app.TextsFor(tg)).Last();
        Assert.Contains($"Reference code: <code>{p.Reference}</code>", instructions);
        Assert.Contains($"Transfer 25.00 USD to IBAN PL61 1090 1014 0000 0712 1981 2874, title {p.Reference}.", instructions);
        Assert.Contains("send a photo or a document", instructions);

        await app.Send(Updates.Text(tg, "done!"));
        Assert.Equal($"Please send a photo or a document of the transfer confirmation for {p.Reference}, or /cancel.", (await app.TextsFor(tg)).Last());

        await app.Send(Updates.Photo(tg));
        Assert.StartsWith($"📨 Thank you! We received your confirmation for {p.Reference} (25.00 USD)", (await app.TextsFor(tg)).Last());
        var withProof = await PaymentById(p.Id);
        Assert.Equal("AgAD-photo", withProof.ProofFileId);
        Assert.Equal("photo", withProof.ProofKind);

        var note = (await app.OutboxFor(Admin)).Last(m => m.Method == "sendPhoto");
        Assert.Equal(ChatChannel.Telegram, note.Channel); // a Telegram depositor's notice goes to the operator's Telegram
        var notePayload = JsonNode.Parse(note.Payload)!.AsObject();
        Assert.Equal("AgAD-photo", notePayload["photo"]!.GetValue<string>());
        Assert.Contains($"New manual deposit #{p.Id}", notePayload["caption"]!.GetValue<string>());
        Assert.Contains(p.Reference!, notePayload["caption"]!.GetValue<string>());
        Assert.Equal([$"deposit:approve:{p.Id}", $"deposit:reject:{p.Id}"], DepositBotAppFactory.Buttons(notePayload));

        // A double tap: both presses arrive before either is handled.
        await app.Post(Updates.Callback(Admin, $"deposit:approve:{p.Id}"));
        await app.Post(Updates.Callback(Admin, $"deposit:approve:{p.Id}"));
        await app.ProcessAll();

        Assert.Equal(25_00, await MoneyTestData.BalanceAsync(app, userId));
        var done = await PaymentById(p.Id);
        Assert.Equal(PaymentStatus.Completed, done.Status);
        Assert.Equal($"telegram:{Admin} (Alice)", done.DecidedBy);
        Assert.Single(await app.TextsFor(tg), t => t == "✅ 25.00 USD has been added to your wallet.");
        Assert.Single(await app.TextsFor(Admin), t => t.StartsWith($"✅ Deposit #{p.Id} ({p.Reference}) approved: 25.00 USD credited to Alice."));
        var toasts = (await app.OutboxFor(Admin)).Where(m => m.Method == "answerCallbackQuery").TakeLast(2)
            .Select(m => JsonNode.Parse(m.Payload)!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(["Approved", $"Deposit #{p.Id} is no longer pending (COMPLETED)."], toasts);
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task An_admin_rejects_a_deposit_with_a_reason_the_user_is_told()
    {
        var (tg, userId, p) = await Deposit("manual_bank", "40", lang: "ru");
        Assert.Contains($"Код платежа: <code>{p.Reference}</code>", (await app.TextsFor(tg)).Last());
        var document = Updates.Document(tg);
        document["message"]!["from"]!["language_code"] = "ru";
        await app.Send(document);
        Assert.Contains("document", JsonNode.Parse((await app.OutboxFor(Admin)).Last(m => m.Method == "sendDocument").Payload)!["caption"]!.GetValue<string>());

        await app.Send(Updates.Callback(Admin, $"deposit:reject:{p.Id}"));
        Assert.StartsWith($"Why is deposit #{p.Id} ({p.Reference}, 40.00 USD) rejected?", (await app.TextsFor(Admin)).Last());
        await app.Send(Updates.Text(Admin, "No transfer <arrived>"));

        var rejected = await PaymentById(p.Id);
        Assert.Equal(PaymentStatus.Failed, rejected.Status);
        Assert.Equal("No transfer <arrived>", rejected.StatusReason);
        Assert.Equal($"❌ Ваше пополнение {p.Reference} отклонено: No transfer &lt;arrived&gt;", (await app.TextsFor(tg)).Last());
        Assert.Equal($"❌ Deposit #{p.Id} ({p.Reference}) rejected. The user was told: No transfer &lt;arrived&gt;", (await app.TextsFor(Admin)).Last());
        Assert.Equal(0, await MoneyTestData.BalanceAsync(app, userId));

        // Approving after the rejection changes nothing.
        await app.Send(Updates.Callback(Admin, $"deposit:approve:{p.Id}"));
        Assert.Equal(PaymentStatus.Failed, (await PaymentById(p.Id)).Status);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(app, userId));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Only_admins_can_list_approve_or_reject_deposits()
    {
        var (tg, userId, p) = await Deposit("manual_bank", "15");
        var stranger = Updates.NewUserId();

        await app.Send(Updates.Text(stranger, "/deposits"), Updates.Callback(stranger, $"deposit:approve:{p.Id}"),
            Updates.Callback(stranger, $"deposit:reject:{p.Id}"), Updates.Text(stranger, "because"));
        Assert.Equal("Sorry, this is only for the shop's operators.", (await app.TextsFor(stranger)).First());
        var refusals = (await app.OutboxFor(stranger)).Where(m => m.Method == "answerCallbackQuery").Select(m => JsonNode.Parse(m.Payload)!).ToList();
        Assert.Equal(2, refusals.Count);
        Assert.All(refusals, r => Assert.Equal("Sorry, this is only for the shop's operators.", r["text"]!.GetValue<string>()));
        Assert.Equal(PaymentStatus.Pending, (await PaymentById(p.Id)).Status);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(app, userId));

        await app.Send(Updates.Text(Admin, "/deposits"));
        var list = await app.LastPayload(Admin, "sendMessage");
        Assert.Contains($"#{p.Id} · {p.Reference} · 15.00 USD · 🏦 Bank transfer · Alice · proof: not yet", list["text"]!.GetValue<string>());
        Assert.Contains($"deposit:approve:{p.Id}", DepositBotAppFactory.Buttons(list));
        Assert.Contains($"deposit:reject:{p.Id}", DepositBotAppFactory.Buttons(list));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_bitcoin_deposit_shows_the_address_the_quote_with_its_expiry_and_a_QR_code_photo()
    {
        var (tg, _, p) = await Deposit("btc", "100");
        var deposit = await app.WithDb(db => db.CryptoDeposits.AsNoTracking().SingleAsync(d => d.PaymentId == p.Id));
        Assert.StartsWith("bc1q", deposit.Address);
        Assert.Equal(JobStatus.Completed, (await app.PreparationJobOf(p.Id))!.Status);
        var texts = await app.TextsFor(tg);
        Assert.Equal("⏳ Preparing your payment of 100.00 USD…", texts[^2]);
        var text = texts[^1];
        Assert.Contains("Send exactly <b>0.002 BTC</b> (100.00 USD) to this ₿ Bitcoin address:", text);
        Assert.Contains($"<code>{deposit.Address}</code>", text);
        Assert.Contains("fixed until 2026-11-28 12:30 UTC", text);

        var photo = (await app.OutboxFor(tg)).Last(m => m.Method == "sendPhoto");
        var attachment = await app.WithDb(db => db.OutboxAttachments.AsNoTracking().SingleAsync(a => a.OutboxMessageId == photo.Id));
        Assert.Equal("photo", attachment.Field);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, attachment.Content[..4]);
        Assert.Equal(CryptoPayments.QrPng($"bitcoin:{deposit.Address}?amount=0.002"), attachment.Content);

        var (ltcTg, _, ltc) = await Deposit("ltc", "10");
        Assert.Equal(10_000_000, ltc.PayAmount);
        Assert.Contains("Send exactly <b>0.1 LTC</b> (10.00 USD)", (await app.TextsFor(ltcTg)).Last());
    }

    [Fact]
    public async Task Stars_invoice_pre_checkout_and_a_payment_delivered_twice_credit_once()
    {
        var (tg, userId, p) = await Deposit("stars", "2");
        Assert.Equal(PaymentMethod.Stars, p.Method);
        var invoice = await app.LastPayload(tg, "sendInvoice");
        Assert.Equal("XTR", invoice["currency"]!.GetValue<string>());
        Assert.Equal($"pay:{p.Id}", invoice["payload"]!.GetValue<string>());
        Assert.Equal(100, invoice["prices"]![0]!["amount"]!.GetValue<int>());
        Assert.Equal("", invoice["provider_token"]?.GetValue<string>() ?? "");
        Assert.DoesNotContain(app.Bot.CallsOf("createInvoiceLink"), c => c.Str("payload") == $"pay:{p.Id}");

        await app.Send(PreCheckout(tg, $"pay:{p.Id}", 99), PreCheckout(tg, "pay:987654321", 100), PreCheckout(tg, $"pay:{p.Id}", 100));
        var answers = (await app.OutboxFor(tg)).Where(m => m.Method == "answerPreCheckoutQuery").ToList();
        Assert.All(answers, a => Assert.True(a.Urgent));
        var json = answers.Select(a => JsonNode.Parse(a.Payload)!).ToList();
        Assert.Equal([false, false, true], json.Select(j => j["ok"]!.GetValue<bool>()));
        Assert.Equal(PaymentTexts.PriceChanged.En, json[0]["error_message"]!.GetValue<string>());
        Assert.Equal(PaymentTexts.NotPending.En, json[1]["error_message"]!.GetValue<string>());

        var charge = "stx-" + Guid.NewGuid().ToString("N");
        await app.Send(Paid(tg, $"pay:{p.Id}", 100, charge));
        await app.Send(Paid(tg, $"pay:{p.Id}", 100, charge));

        Assert.Equal(2_00, await MoneyTestData.BalanceAsync(app, userId));
        var done = await PaymentById(p.Id);
        Assert.Equal(PaymentStatus.Completed, done.Status);
        Assert.Equal(charge, done.ProviderPaymentId);
        Assert.Single(await app.TextsFor(tg), t => t == "✅ 2.00 USD has been added to your wallet.");

        // Once paid, the invoice no longer passes pre-checkout.
        await app.Send(PreCheckout(tg, $"pay:{p.Id}", 100));
        var last = JsonNode.Parse((await app.OutboxFor(tg)).Last(m => m.Method == "answerPreCheckoutQuery").Payload)!;
        Assert.False(last["ok"]!.GetValue<bool>());
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Stripe_and_Robokassa_deposits_get_a_button_with_the_payment_link()
    {
        var (tg, _, stripe) = await Deposit("stripe", "10");
        Assert.NotNull(stripe.PayUrl);
        Assert.Equal(Assert.Single(app.Stripe.Sessions, s => s.Form["client_reference_id"] == stripe.Id.ToString()).Session["id"]!.GetValue<string>(),
            stripe.ProviderPaymentId);
        Assert.Equal("⏳ Preparing your payment of 10.00 USD…", (await app.TextsFor(tg))[^2]);
        var msg = await app.LastPayload(tg, "sendMessage");
        Assert.Contains("Top-up of <b>10.00 USD</b>: press the button to pay securely by Stripe.", msg["text"]!.GetValue<string>());
        Assert.Equal([stripe.PayUrl], DepositBotAppFactory.Buttons(msg, "url"));

        var (rtg, _, robokassa) = await Deposit("robokassa", "300", lang: "ru");
        var rmsg = await app.LastPayload(rtg, "sendMessage");
        Assert.Contains("Пополнение на <b>300.00 USD</b>", rmsg["text"]!.GetValue<string>());
        var url = Assert.Single(DepositBotAppFactory.Buttons(rmsg, "url"));
        Assert.Equal(robokassa.PayUrl, url);
        Assert.StartsWith("https://auth.robokassa.ru/Merchant/Index.aspx?", url);
        Assert.Contains($"InvId={robokassa.Id}", url);
    }

    [Fact]
    public async Task Tapping_the_method_twice_and_sending_the_amount_twice_prepares_one_payment_once()
    {
        var tg = Updates.NewUserId();
        var amount = Updates.Text(tg, "15");
        // Both taps and both amounts (one of them delivered twice by Telegram) arrive before any is handled.
        await app.Post(Updates.Callback(tg, "wallet:deposit:stripe"));
        await app.Post(Updates.Callback(tg, "wallet:deposit:stripe"));
        await app.Post(amount);
        await app.Post(amount);
        await app.Post(Updates.Text(tg, "15"));
        await app.ProcessAll();

        var user = await app.UserOf(tg);
        var p = Assert.Single(await app.WithDb(db => db.Payments.AsNoTracking().Where(x => x.UserId == user.Id).ToListAsync()));
        Assert.Null(p.PayUrl);
        Assert.Single(await app.TextsFor(tg), t => t.StartsWith("⏳ Preparing your payment"));
        var job = await app.PreparationJobOf(p.Id);
        Assert.Equal(JobStatus.Queued, job!.Status);

        // Enqueueing the same payment's preparation again makes no second job.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var again = await scope.ServiceProvider.GetRequiredService<JobQueue>().EnqueueAsync(PaymentPreparation.JobType,
                new PreparePayment(p.Id, ChatChannel.Telegram, tg.ToString(), user.Id, "en"),
                new EnqueueOptions { IdempotencyKey = PaymentPreparation.KeyFor(p.Id) }, CancellationToken.None);
            Assert.Equal(job.Id, again.Id);
        }
        var runs = (await app.RunJobs()).Where(r => r.JobId == job.Id).ToList();
        Assert.Equal(JobOutcome.Completed, Assert.Single(runs).Outcome);

        // A run again (a worker that died after committing, say) neither calls Stripe nor sends the link again.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var handler = scope.ServiceProvider.GetRequiredKeyedService<IJobHandler>(PaymentPreparation.JobType);
            await handler.HandleAsync(new JobContext(job.Id, job.Type, job.Payload, 2, job.MaxAttempts, job.CreatedAt), CancellationToken.None);
        }
        Assert.Single(app.Stripe.Sessions, s => s.Form["client_reference_id"] == p.Id.ToString());
        var links = (await app.OutboxFor(tg)).Where(m => m.Method == "sendMessage" && m.Payload.Contains("checkout.stripe.com")).ToList();
        Assert.Single(links);
        Assert.Equal("I didn't understand that. Send /help to see what I can do.", (await app.TextsFor(tg)).Single(t => t.StartsWith("I didn't")));
        var prepared = await PaymentById(p.Id);
        Assert.Equal(PaymentStatus.Pending, prepared.Status);
        Assert.Contains(prepared.PayUrl!, links[0].Payload);
    }

    private async Task DeliverAll()
    {
        var sender = app.Services.GetRequiredService<Bazaar.Server.Channels.OutboxSender>();
        for (var i = 0; i < 20 && (await app.OutboxFor(Admin)).Any(m => m.Status == OutboxStatus.Pending); i++)
        {
            await sender.RunOnceAsync(default);
            app.Clock.Advance(TimeSpan.FromSeconds(1.1));
        }
    }

    private static int MessageIdOf(OutboxMessage m) => JsonNode.Parse(m.Result!)!["message_id"]!.GetValue<int>();

    [Fact]
    public async Task A_decided_deposit_loses_its_buttons_on_every_notice_and_list_and_other_deposits_keep_theirs()
    {
        var (tgA, _, a) = await Deposit("manual_bank", "11");
        await app.Send(Updates.Photo(tgA));
        var (tgB, _, b) = await Deposit("manual_bank", "12");
        await app.Send(Updates.Photo(tgB));
        app.Clock.Advance(TimeSpan.FromSeconds(1.1));
        await app.Send(Updates.Text(Admin, "/deposits"));
        await DeliverAll();
        var admin = await app.OutboxFor(Admin);
        var noticeA = admin.Last(m => m.Method == "sendPhoto" && m.Payload.Contains($"deposit:approve:{a.Id}\""));
        var noticeB = admin.Last(m => m.Method == "sendPhoto" && m.Payload.Contains($"deposit:approve:{b.Id}\""));
        var list = admin.Last(m => m.Method == "sendMessage" && m.Payload.Contains($"deposit:approve:{a.Id}\""));
        Assert.All(new[] { noticeA, noticeB, list }, m => Assert.Equal(OutboxStatus.Sent, m.Status));

        using var client = app.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/admin/deposits/{a.Id}/approve", null)).StatusCode);
        var edits = (await app.OutboxFor(Admin)).Where(m => m.Method == "editMessageReplyMarkup" && m.Id > list.Id).ToList();
        var onNotice = JsonNode.Parse(Assert.Single(edits, m => JsonNode.Parse(m.Payload)!["message_id"]!.GetValue<int>() == MessageIdOf(noticeA)).Payload)!.AsObject();
        Assert.Empty(DepositBotAppFactory.Buttons(onNotice));
        var onList = JsonNode.Parse(Assert.Single(edits, m => JsonNode.Parse(m.Payload)!["message_id"]!.GetValue<int>() == MessageIdOf(list)).Payload)!.AsObject();
        Assert.DoesNotContain($"deposit:approve:{a.Id}", DepositBotAppFactory.Buttons(onList));
        Assert.DoesNotContain($"deposit:reject:{a.Id}", DepositBotAppFactory.Buttons(onList));
        Assert.Contains($"deposit:approve:{b.Id}", DepositBotAppFactory.Buttons(onList));
        // A's notice, A's proof sent again under the list, and the list; B's notice and proof keep their buttons.
        Assert.Equal(3, edits.Count);
        var aPhotos = admin.Where(m => m.Method == "sendPhoto" && m.Payload.Contains($"deposit:approve:{a.Id}\"")).Select(MessageIdOf).ToList();
        Assert.Equal(2, aPhotos.Count);
        Assert.All(aPhotos, id => Assert.Contains(edits, m => JsonNode.Parse(m.Payload)!["message_id"]!.GetValue<int>() == id));

        // Rejecting B edits the list again from what it shows now, and B's notice.
        var before = (await app.OutboxFor(Admin)).Max(m => m.Id);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/v1/admin/deposits/{b.Id}/reject", new { reason = "no money came" })).StatusCode);
        edits = (await app.OutboxFor(Admin)).Where(m => m.Method == "editMessageReplyMarkup" && m.Id > before).ToList();
        Assert.Contains(edits, m => JsonNode.Parse(m.Payload)!["message_id"]!.GetValue<int>() == MessageIdOf(noticeB));
        var listAgain = JsonNode.Parse(Assert.Single(edits, m => JsonNode.Parse(m.Payload)!["message_id"]!.GetValue<int>() == MessageIdOf(list)).Payload)!.AsObject();
        Assert.DoesNotContain(DepositBotAppFactory.Buttons(listAgain), c => c.EndsWith($":{a.Id}") || c.EndsWith($":{b.Id}"));
    }

    [Fact]
    public async Task A_notice_not_yet_sent_goes_without_the_buttons_of_a_deposit_already_decided()
    {
        var (tg, _, p) = await Deposit("manual_bank", "13");
        await app.Send(Updates.Photo(tg));
        var notice = (await app.OutboxFor(Admin)).Last(m => m.Method == "sendPhoto" && m.Payload.Contains($"deposit:approve:{p.Id}\""));
        Assert.Equal(OutboxStatus.Pending, notice.Status);
        using var client = app.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/admin/deposits/{p.Id}/approve", null)).StatusCode);
        var now = (await app.OutboxFor(Admin)).Single(m => m.Id == notice.Id);
        Assert.Empty(DepositBotAppFactory.Buttons(JsonNode.Parse(now.Payload)!.AsObject()));
        Assert.Contains($"New manual deposit #{p.Id}", now.Payload);
    }

    [Fact]
    public async Task An_approve_button_racing_the_REST_approval_credits_once()
    {
        var (tg, userId, p) = await Deposit("manual_bank", "33");
        await app.Send(Updates.Photo(tg));
        await app.Post(Updates.Callback(Admin, $"deposit:approve:{p.Id}"));
        using var client = app.AdminClient();

        var api = client.PostAsync($"/api/v1/admin/deposits/{p.Id}/approve", null);
        await Task.WhenAll(app.ProcessAll(), api);

        Assert.Equal(33_00, await MoneyTestData.BalanceAsync(app, userId));
        Assert.Single(await app.TextsFor(tg), t => t == "✅ 33.00 USD has been added to your wallet.");
        var apiStatus = (await api).StatusCode;
        var botApproved = (await app.TextsFor(Admin)).Any(t => t.StartsWith($"✅ Deposit #{p.Id} "));
        Assert.True(apiStatus == HttpStatusCode.OK ^ botApproved, $"api {apiStatus}, bot approved {botApproved}");
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_pre_checkout_from_a_user_marked_blocked_is_still_answered_and_unblocks_them()
    {
        var (tg, userId, p) = await Deposit("stars", "1");
        await app.WithDb(db => db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsBlocked, true)));

        await app.Send(PreCheckout(tg, $"pay:{p.Id}", 50));

        var answer = JsonNode.Parse((await app.OutboxFor(tg)).Last(m => m.Method == "answerPreCheckoutQuery").Payload)!;
        Assert.True(answer["ok"]!.GetValue<bool>());
        Assert.False((await app.UserOf(tg)).IsBlocked);
    }

    [Fact]
    public async Task In_the_sandbox_the_deposit_flow_runs_without_stars_and_the_admin_gets_the_proof_notice_as_text_in_the_sandbox()
    {
        var user = Updates.NewUserId();
        async Task<List<JsonElement>> Sandbox(JsonObject update)
        {
            var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", update.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return (await r.ReadJson()).GetProperty("messages").EnumerateArray().ToList();
        }

        var methods = (await Sandbox(Updates.Callback(user, "wallet:deposit"))).Single(m => m.GetProperty("method").GetString() == "editMessageText");
        var buttons = methods.GetProperty("replyMarkup").GetProperty("inline_keyboard").EnumerateArray()
            .SelectMany(r => r.EnumerateArray()).Select(b => b.GetProperty("callback_data").GetString()).ToList();
        Assert.Contains("wallet:deposit:manual_bank", buttons);
        Assert.DoesNotContain("wallet:deposit:stars", buttons);

        await Sandbox(Updates.Callback(user, "wallet:deposit:manual_bank"));
        var instructions = (await Sandbox(Updates.Text(user, "30"))).Single();
        Assert.Contains("Reference code:", instructions.GetProperty("text").GetString());
        var thanks = (await Sandbox(Updates.Photo(user))).Single(m => m.GetProperty("chatId").GetString() == user.ToString());
        Assert.StartsWith("📨 Thank you!", thanks.GetProperty("text").GetString());

        var sandboxUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Sandbox && u.ExternalId == user.ToString()));
        var p = await LastPaymentOf(sandboxUser.Id);
        var note = (await app.OutboxFor(Admin)).Last(m => m.Method == "sendMessage" && m.Payload.Contains($"#{p.Id}"));
        Assert.Equal(ChatChannel.Sandbox, note.Channel); // a sandbox depositor's notice goes to the operator's sandbox chat
        Assert.Equal([$"deposit:approve:{p.Id}", $"deposit:reject:{p.Id}"], DepositBotAppFactory.Buttons(JsonNode.Parse(note.Payload)!.AsObject()));
    }
}
