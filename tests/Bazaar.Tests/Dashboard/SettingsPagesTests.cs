using System.Net;
using System.Text.Json;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Dashboard;
using Bazaar.Server.Payments;
using Bazaar.Tests.Payments;
using Bazaar.Tests.Referrals;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bazaar.Tests.Dashboard;

/// <summary>The dashboard with Robokassa and Stars configured, so payment switches and referral commissions can be seen working.</summary>
public class SettingsAppFactory : DashboardAppFactory
{
    public SettingsAppFactory()
    {
        With("Payments:PublicUrl", "https://shop.example");
        With("Payments:Robokassa:MerchantLogin", PaymentsAppFactory.RobokassaLogin);
        With("Payments:Robokassa:Password1", PaymentsAppFactory.RobokassaPassword1);
        With("Payments:Robokassa:Password2", PaymentsAppFactory.RobokassaPassword2);
        With("Payments:Robokassa:IsTest", "true");
        With("Referrals:CommissionPercent", "3");
    }
}

/// <summary>Settings the owner edits take effect at run time in the features that read them, and are audited.</summary>
public sealed class SettingsPagesTests(SettingsAppFactory app) : IClassFixture<SettingsAppFactory>
{
    private const string Settings = "/admin/settings";

    private async Task<HttpResponseMessage> Post(string url, Dictionary<string, string> fields)
    {
        var owner = await app.SignedIn(OperatorRoles.Owner);
        return await DashboardTestData.PostForm(owner, url, fields, Settings);
    }

    private async Task<string> FlashOf(string url, Dictionary<string, string> fields)
    {
        var owner = await app.SignedIn(OperatorRoles.Owner);
        return await DashboardTestData.FlashOrError(owner, await DashboardTestData.PostForm(owner, url, fields, Settings));
    }

    private async Task<string> LastText(long chat) => (await app.TextsFor(chat)).Last();

    [Fact]
    public async Task An_api_key_is_shown_once_works_and_stops_working_when_revoked()
    {
        var owner = await app.SignedIn(OperatorRoles.Owner);
        var name = "crm " + Guid.NewGuid().ToString("N")[..6];
        var created = await DashboardTestData.PostForm(owner, "/admin/settings/api-keys", new() { ["name"] = name }, Settings);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode); // rendered, not redirected: the key never sits in a URL
        var html = await created.Content.ReadAsStringAsync();
        var key = System.Text.RegularExpressions.Regex.Match(html, "<code class=\"secret\" id=\"new-key\">([^<]+)</code>").Groups[1].Value;
        Assert.NotEmpty(key);
        Assert.DoesNotContain(key, await (await owner.GetAsync(Settings)).Content.ReadAsStringAsync()); // shown only once

        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", System.Net.WebUtility.HtmlDecode(key));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/admin/tariffs")).StatusCode);

        var id = await app.WithDb(db => db.ApiKeys.Where(k => k.Name == name).Select(k => k.Id).SingleAsync());
        Assert.Contains("revoked", await FlashOf($"/admin/settings/api-keys/{id}/revoke", []));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/admin/tariffs")).StatusCode);
        var actions = await app.WithDb(db => db.AuditLog.Where(a => a.Target == $"api_key:{id}").OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        Assert.Equal(["api_key.create", "api_key.revoke"], actions);
        Assert.DoesNotContain(await app.WithDb(db => db.AuditLog.Select(a => a.After ?? "").ToListAsync()), a => a.Contains(key));
    }

    [Fact]
    public async Task Admin_ids_saved_in_settings_give_and_take_bot_admin_at_once()
    {
        var newcomer = Updates.NewUserId();
        await app.Send(Updates.Text(newcomer, "/admin"));
        Assert.DoesNotContain("Admin panel", await LastText(newcomer));

        var flash = await FlashOf("/admin/settings/admin-ids", new() { ["ids"] = $"{BotAppFactory.AdminUserId}, {newcomer}" });
        Assert.Contains(newcomer.ToString(), flash);
        await app.Send(Updates.Text(newcomer, "/admin"));
        Assert.Contains("Admin panel", await LastText(newcomer));

        await Post("/admin/settings/admin-ids", new() { ["ids"] = BotAppFactory.AdminUserId.ToString() });
        await app.Send(Updates.Text(newcomer, "/admin"));
        Assert.DoesNotContain("Admin panel", await LastText(newcomer));

        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Action == "settings.admin_ids").OrderBy(a => a.Id).ToListAsync());
        Assert.Contains(audit, a => a.After!.Contains(newcomer.ToString()) && !a.Before!.Contains(newcomer.ToString()));
    }

    [Theory]
    [InlineData("12ab")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public async Task An_admin_id_that_is_not_a_user_id_is_refused_and_nothing_changes(string ids)
    {
        var before = app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.TelegramIds;
        var flash = await FlashOf("/admin/settings/admin-ids", new() { ["ids"] = $"{BotAppFactory.AdminUserId}, {ids}" });
        Assert.StartsWith("!", flash);
        Assert.Contains("Nothing changed", flash);
        Assert.Equal(before, app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.TelegramIds);
    }

    [Fact]
    public async Task A_payment_method_switched_off_is_neither_offered_nor_accepted_until_switched_on()
    {
        var user = await app.UserAsync("Pia");
        await PaymentTestData.CreatePaymentAsync(app, user.Id, "robokassa", 5m);

        await Post("/admin/settings/payments", new() { ["on"] = "manual_bank" });
        using (var client = app.AdminClient())
        {
            var r = await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "robokassa", purpose = "wallet_topup", amount = 5m, currency = "USD" });
            Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
            Assert.Equal("method_switched_off", (await r.ReadJson()).GetProperty("code").GetString());
        }
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/wallet"));
        await app.Send(Updates.Callback(tg, "wallet:deposit"));
        var choice = (await app.OutboxFor(tg)).Last(m => m.Method is "sendMessage" or "editMessageText").Payload;
        Assert.DoesNotContain("robokassa", choice, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("manual_bank", choice);
        var page = await (await (await app.SignedIn(OperatorRoles.Owner)).GetAsync(Settings)).Content.ReadAsStringAsync();
        Assert.DoesNotMatch("value=\"robokassa\"[^>]*checked", page);

        await Post("/admin/settings/payments", new() { ["on"] = "robokassa" }); // manual_bank off, robokassa on again
        await PaymentTestData.CreatePaymentAsync(app, user.Id, "robokassa", 5m);
        Assert.False(app.Services.GetRequiredService<IOptions<PaymentsOptions>>().Value.IsEnabled(PaymentMethod.ManualBank));
        await Post("/admin/settings/payments", new() { ["on"] = "robokassa", ["x"] = "" });
        var fields = new List<KeyValuePair<string, string>> { new("on", "robokassa"), new("on", "manual_bank") };
        var owner = await app.SignedIn(OperatorRoles.Owner);
        await DashboardTestData.PostFields(owner, "/admin/settings/payments", fields, Settings);
        Assert.True(app.Services.GetRequiredService<IOptions<PaymentsOptions>>().Value.IsEnabled(PaymentMethod.ManualBank));
        // A method without keys cannot be switched on from the form.
        await DashboardTestData.PostFields(owner, "/admin/settings/payments", fields.Append(new("on", "stripe")), Settings);
        Assert.False(app.Services.GetRequiredService<IOptions<PaymentsOptions>>().Value.IsEnabled(PaymentMethod.Stripe));
    }

    private static Dictionary<string, string> ReferralForm(string percent, string silver = "100") => new()
    {
        ["percent"] = percent, ["milestoneCount"] = "10", ["milestoneReward"] = "1",
        ["tier_bronze"] = "0", ["tier_silver"] = silver, ["tier_gold"] = "500", ["tier_platinum"] = "1000", ["tier_diamond"] = "5000",
    };

    [Fact]
    public async Task The_referral_percent_and_thresholds_from_settings_apply_to_the_next_commission_and_tier()
    {
        var (_, alice) = await app.Starter("Alice");
        var (_, bob) = await app.Invitee(alice, "Bob");
        await app.RobokassaDeposit(bob.Id, 10m);
        Assert.Equal([30L], (await app.CommissionsOf(alice.Id)).Select(c => c.Amount)); // 3 % from configuration

        var flash = await FlashOf("/admin/settings/referrals", ReferralForm("12.5", silver: "1.5"));
        Assert.Contains("12.5 %", flash);
        await app.RobokassaDeposit(bob.Id, 10m);
        Assert.Equal([30L, 125L], (await app.CommissionsOf(alice.Id)).Select(c => c.Amount));

        using var client = app.AdminClient();
        var stats = await (await client.GetAsync($"/api/v1/referrals/stats?user_id={alice.Id}")).ReadJson();
        Assert.Equal("silver", stats.GetProperty("tier").GetProperty("code").GetString()); // 1.55 USD earned, silver from 1.5
        Assert.Equal(1.5m, stats.GetProperty("tier").GetProperty("threshold").GetProperty("amount").GetDecimal());

        await Post("/admin/settings/referrals", ReferralForm("3"));
        stats = await (await client.GetAsync($"/api/v1/referrals/stats?user_id={alice.Id}")).ReadJson();
        Assert.Equal("bronze", stats.GetProperty("tier").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("150", "100")]
    [InlineData("2.555", "100")]
    [InlineData("abc", "100")]
    [InlineData("3", "-1")]
    [InlineData("3", "1.001")]
    public async Task Referral_settings_out_of_range_are_refused_and_nothing_changes(string percent, string silver)
    {
        var before = app.Services.GetRequiredService<IOptions<Bazaar.Server.Referrals.ReferralOptions>>().Value.CommissionPercent;
        var flash = await FlashOf("/admin/settings/referrals", ReferralForm(percent, silver));
        Assert.StartsWith("!", flash);
        Assert.Equal(before, app.Services.GetRequiredService<IOptions<Bazaar.Server.Referrals.ReferralOptions>>().Value.CommissionPercent);
    }

    [Fact]
    public async Task The_settings_page_edits_admin_ids_payment_switches_and_referrals_and_links_the_texts()
    {
        var html = await (await (await app.SignedIn(OperatorRoles.Owner)).GetAsync(Settings)).Content.ReadAsStringAsync();
        Assert.Contains("action=\"/admin/settings/admin-ids\"", html);
        Assert.Contains("action=\"/admin/settings/payments\"", html);
        Assert.Contains("action=\"/admin/settings/referrals\"", html);
        Assert.Contains("href=\"/admin/settings/texts\"", html);
        Assert.DoesNotContain("READ-ONLY", html);
    }
}

/// <summary>A second server process on the same database follows a setting changed through the first.</summary>
public sealed class SettingsAcrossProcessesTests
{
    [Fact]
    public async Task Another_process_picks_up_a_changed_setting_at_its_next_refresh()
    {
        var first = new DashboardAppFactory();
        await first.InitializeAsync();
        var second = new AppFactory().OnDatabase(first.Database);
        try
        {
            await second.InitializeAsync();
            var ids = () => second.Services.GetRequiredService<IOptions<AdminOptions>>().Value.TelegramAdminIds;
            Assert.DoesNotContain(424242L, ids());

            var owner = await first.SignedIn(OperatorRoles.Owner);
            await DashboardTestData.PostForm(owner, "/admin/settings/admin-ids", new() { ["ids"] = $"{BotAppFactory.AdminUserId}, 424242" }, "/admin/settings");
            Assert.Contains(424242L, first.Services.GetRequiredService<IOptions<AdminOptions>>().Value.TelegramAdminIds);
            Assert.DoesNotContain(424242L, ids());

            second.Clock.Advance(TimeSpan.FromSeconds(31));
            for (var i = 0; i < 100 && !ids().Contains(424242L); i++) await Task.Delay(50);
            Assert.Contains(424242L, ids());
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync();
            await ((IAsyncLifetime)first).DisposeAsync();
        }
    }
}

[CollectionDefinition(nameof(BotTextOverrideCollection), DisableParallelization = true)]
public sealed class BotTextOverrideCollection;

/// <summary>
/// Reworded bot texts. The overrides are process-wide (as the compiled texts are), so these tests run alone and
/// put every text back afterwards.
/// </summary>
[Collection(nameof(BotTextOverrideCollection))]
public sealed class BotTextSettingsTests(SettingsAppFactory app) : IClassFixture<SettingsAppFactory>, IDisposable
{
    private const string Name = "ConversationTexts.UnknownCommand";

    public void Dispose()
    {
        TextOverrides.Set(ConversationTexts.UnknownCommand, Languages.English, null);
        TextOverrides.Set(ConversationTexts.UnknownCommand, Languages.Russian, null);
        foreach (var t in new[] { Bazaar.Server.Wallet.WalletTexts.WalletTitle, Bazaar.Server.Wallet.WalletTexts.ChooseMethod, PaymentTexts.Rejected })
            foreach (var l in Languages.Supported) TextOverrides.Set(t, l, null);
    }

    private async Task<string> Save(string en, string ru, string name = Name)
    {
        var owner = await app.SignedIn(OperatorRoles.Owner);
        var r = await DashboardTestData.PostForm(owner, "/admin/settings/texts", new() { ["name"] = name, ["en"] = en, ["ru"] = ru }, "/admin/settings/texts");
        return await DashboardTestData.FlashOrError(owner, r);
    }

    [Fact]
    public async Task A_reworded_text_is_what_the_bot_says_in_that_language_until_it_is_cleared()
    {
        Assert.Contains("is reworded", await Save("No /{0} here, try /help.", ""));
        var en = Updates.NewUserId();
        await app.Send(Updates.Text(en, "/frobnicate"));
        Assert.Equal("No /frobnicate here, try /help.", (await app.TextsFor(en)).Last().Split('\n')[0]);
        var ru = Updates.NewUserId();
        await app.Send(Updates.Text(ru, "/frobnicate", lang: "ru"));
        Assert.StartsWith("Я не знаю команду /frobnicate.", (await app.TextsFor(ru)).Last());

        var page = await (await (await app.SignedIn(OperatorRoles.Owner)).GetAsync("/admin/settings/texts?q=UnknownCommand")).Content.ReadAsStringAsync();
        Assert.Contains("REWORDED", page);
        Assert.Contains("No /{0} here, try /help.", System.Net.WebUtility.HtmlDecode(page));

        Assert.Contains("back to the built-in wording", await Save("", ""));
        await app.Send(Updates.Text(en, "/frobnicate"));
        Assert.StartsWith("I don't know the command /frobnicate.", (await app.TextsFor(en)).Last());
        Assert.Empty(await app.WithDb(db => db.RuntimeSettings.Where(s => s.Key.StartsWith("Texts:")).ToListAsync()));
    }

    [Fact]
    public async Task The_wallet_and_deposit_screens_texts_are_reworded_too()
    {
        Assert.Contains("is reworded", await Save("👛 <b>Your purse</b>", "👛 <b>Ваш кошель</b>", "WalletTexts.WalletTitle"));
        Assert.Contains("is reworded", await Save("Pick a way to add money:", "", "WalletTexts.ChooseMethod"));
        Assert.Contains("is reworded", await Save("❌ Deposit {0} declined, because: {1}", "", "PaymentTexts.Rejected"));
        var en = Updates.NewUserId();
        var ru = Updates.NewUserId();
        await app.Send(Updates.Text(en, "/wallet"), Updates.Text(ru, "/wallet", lang: "ru"));
        Assert.StartsWith("👛 <b>Your purse</b>", (await app.TextsFor(en)).Last());
        Assert.StartsWith("👛 <b>Ваш кошель</b>", (await app.TextsFor(ru)).Last());
        await app.Send(Updates.Callback(en, Bazaar.Server.Wallet.WalletScreens.DepositCallback));
        Assert.Equal("Pick a way to add money:", (await app.TextsFor(en)).Last());
        // A user's rejected deposit is told in the new words.
        var (userId, paymentId) = await app.PendingDepositAsync();
        var support = await app.SignedIn(OperatorRoles.Support);
        await DashboardTestData.PostForm(support, $"/admin/deposits/{paymentId}/reject", new() { ["reason"] = "blurry photo" }, "/admin/payments");
        var user = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == userId));
        Assert.Contains(await app.TextsFor(long.Parse(user.ExternalId)), t => t.StartsWith("❌ Deposit ") && t.EndsWith("declined, because: blurry photo"));
        // The placeholders are checked as for every other text.
        Assert.StartsWith("!", await Save("Declined: {2}", "", "PaymentTexts.Rejected"));
    }

    [Theory]
    [InlineData("No /{1} here.", "filled with 1 value")]
    [InlineData("No {command} here.", "filled with 1 value")]
    [InlineData("No <b>/{0} here.", "never closed")]
    [InlineData("No <script>/{0}</script> here.", "not a tag Telegram shows")]
    public async Task A_wording_the_bot_could_not_send_is_refused(string en, string problem)
    {
        var flash = await Save(en, "");
        Assert.StartsWith("!", flash);
        Assert.Contains(problem, flash);
        Assert.Contains("Nothing changed", flash);
        Assert.Null(TextOverrides.Find(ConversationTexts.UnknownCommand, Languages.English));
    }

    [Fact]
    public void The_catalog_holds_every_features_texts_by_class_and_field()
    {
        var names = BotTextCatalog.All.Select(t => t.Name).ToList();
        Assert.Contains(Name, names);
        Assert.Contains(names, n => n.StartsWith("PaymentTexts."));
        Assert.Contains("PaymentTexts.Rejected", names);
        Assert.Contains("WalletTexts.WalletTitle", names);
        Assert.Contains("WalletTexts.MethodStripe", names);
        Assert.Contains(names, n => n.StartsWith("ReferralTexts."));
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
