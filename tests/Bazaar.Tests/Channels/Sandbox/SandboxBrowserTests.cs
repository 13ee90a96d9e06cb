using Bazaar.Tests.Conversations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Bazaar.Tests.Channels.Sandbox;

/// <summary>The sandbox on a real loopback port, with the background processor on, as a person would use it.</summary>
public sealed class SandboxBrowserFactory : BotAppFactory
{
    public SandboxBrowserFactory()
    {
        With("Sandbox:Enabled", "true");
        With("Conversations:Processor:Enabled", "true");
        UseKestrel(0);
    }

    public string BaseUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

public sealed class SandboxBrowserTests(SandboxBrowserFactory app) : IClassFixture<SandboxBrowserFactory>
{
    [Fact]
    public async Task A_person_types_start_sees_the_greeting_and_a_button_edits_it_in_place()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/sandbox");
        await page.FillAsync("#uid", Updates.NewUserId().ToString());
        await page.FillAsync("#fname", "Petra");

        await page.FillAsync("#text", "/start");
        await page.PressAsync("#text", "Enter");
        var bot = page.Locator(".msg.bot");
        await Assertions.Expect(bot.First).ToContainTextAsync("Hello, Petra!");

        await bot.First.Locator("button", new() { HasText = "Commands" }).ClickAsync();
        await Assertions.Expect(bot.First).ToContainTextAsync("Here is what I can do:");
        await Assertions.Expect(bot.First).ToContainTextAsync("/help");
        await Assertions.Expect(bot).ToHaveCountAsync(1); // edited in place, not a new message

        await page.FillAsync("#text", "/nope");
        await page.PressAsync("#text", "Enter");
        await Assertions.Expect(bot.Nth(1)).ToContainTextAsync("I don't know the command /nope.");
    }
}
