using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Bazaar.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Giveaways : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "giveaway_captcha_sessions",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    GiveawayId = table.Column<long>(type: "INTEGER", nullable: true),
                    Question = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Answer = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    PassedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    FailedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_captcha_sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_draws",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GiveawayId = table.Column<long>(type: "INTEGER", nullable: false),
                    RequestedCount = table.Column<int>(type: "INTEGER", nullable: false),
                    SelectedCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Method = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ParticipantCount = table.Column<int>(type: "INTEGER", nullable: false),
                    ParticipantListHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    EligibleIds = table.Column<string>(type: "TEXT", nullable: false),
                    Winners = table.Column<string>(type: "TEXT", nullable: false),
                    ReRolls = table.Column<string>(type: "TEXT", nullable: false),
                    RequestedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_draws", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_participants",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GiveawayId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SubscriptionCheckedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_participants", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_user_records",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    CaptchaCompletedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    FirstParticipationAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    TotalParticipations = table.Column<int>(type: "INTEGER", nullable: false),
                    TotalWins = table.Column<int>(type: "INTEGER", nullable: false),
                    LastSubscriptionCheckAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_user_records", x => x.UserId);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_winners",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GiveawayId = table.Column<long>(type: "INTEGER", nullable: false),
                    ParticipantId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    SelectedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Delivery = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    DeliveryAttempts = table.Column<int>(type: "INTEGER", nullable: false),
                    DeliveryError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    DeliveryUpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    OutboxMessageId = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_winners", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "giveaways",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Prize = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    PhotoUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    WinnerCount = table.Column<int>(type: "INTEGER", nullable: false),
                    StartsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndAfterParticipants = table.Column<int>(type: "INTEGER", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Commitment = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SeedHex = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    BeaconSource = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Beacon = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    NotifyNonWinners = table.Column<bool>(type: "INTEGER", nullable: false),
                    ParticipantCount = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DrawnAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    PostChannel = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    PostChatId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    PostMessageId = table.Column<int>(type: "INTEGER", nullable: true),
                    PostOutboxId = table.Column<long>(type: "INTEGER", nullable: true),
                    PostShownCount = table.Column<int>(type: "INTEGER", nullable: false),
                    PostEditedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaways", x => x.Id);
                    table.ForeignKey(
                        name: "FK_giveaways_outbox_PostOutboxId",
                        column: x => x.PostOutboxId,
                        principalTable: "outbox",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "giveaway_channels",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GiveawayId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChatId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Link = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_giveaway_channels", x => x.Id);
                    table.ForeignKey(
                        name: "FK_giveaway_channels_giveaways_GiveawayId",
                        column: x => x.GiveawayId,
                        principalTable: "giveaways",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_captcha_sessions_UserId_CreatedAt",
                table: "giveaway_captcha_sessions",
                columns: new[] { "UserId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_channels_GiveawayId",
                table: "giveaway_channels",
                column: "GiveawayId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_draws_GiveawayId",
                table: "giveaway_draws",
                column: "GiveawayId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_participants_GiveawayId_UserId",
                table: "giveaway_participants",
                columns: new[] { "GiveawayId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_participants_UserId",
                table: "giveaway_participants",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_winners_GiveawayId_UserId",
                table: "giveaway_winners",
                columns: new[] { "GiveawayId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_giveaway_winners_OutboxMessageId",
                table: "giveaway_winners",
                column: "OutboxMessageId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaways_PostOutboxId",
                table: "giveaways",
                column: "PostOutboxId");

            migrationBuilder.CreateIndex(
                name: "IX_giveaways_Status_EndsAt",
                table: "giveaways",
                columns: new[] { "Status", "EndsAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "giveaway_captcha_sessions");

            migrationBuilder.DropTable(
                name: "giveaway_channels");

            migrationBuilder.DropTable(
                name: "giveaway_draws");

            migrationBuilder.DropTable(
                name: "giveaway_participants");

            migrationBuilder.DropTable(
                name: "giveaway_user_records");

            migrationBuilder.DropTable(
                name: "giveaway_winners");

            migrationBuilder.DropTable(
                name: "giveaways");
        }
    }
}
