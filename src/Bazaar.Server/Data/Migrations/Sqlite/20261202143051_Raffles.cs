using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Bazaar.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Raffles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DeliveryStatus",
                table: "outbox",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DeliveryUpdatedAt",
                table: "outbox",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExternalId",
                table: "outbox",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Template",
                table: "outbox",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "raffles",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Prize = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    TicketPrice = table.Column<long>(type: "INTEGER", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    NumberFrom = table.Column<int>(type: "INTEGER", nullable: false),
                    NumberTo = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxTicketsPerOrder = table.Column<int>(type: "INTEGER", nullable: false),
                    DrawAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    TicketsGeneratedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DrawCommitment = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    DrawSeed = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ParticipantListHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    WinningNumber = table.Column<int>(type: "INTEGER", nullable: true),
                    WinningOrderId = table.Column<long>(type: "INTEGER", nullable: true),
                    DrawnAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_raffles", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "whatsapp_message_ids",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    WaMessageId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_whatsapp_message_ids", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "raffle_orders",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RaffleId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Numbers = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    TicketCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Amount = table.Column<long>(type: "INTEGER", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ConfirmedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    PaidAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ClosedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    PaidWith = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    PaymentId = table.Column<long>(type: "INTEGER", nullable: true),
                    ProofPath = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    ProofContentType = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    ProofBytes = table.Column<long>(type: "INTEGER", nullable: true),
                    ProofAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CancelReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_raffle_orders", x => x.Id);
                    table.ForeignKey(
                        name: "FK_raffle_orders_raffles_RaffleId",
                        column: x => x.RaffleId,
                        principalTable: "raffles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_raffle_orders_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "raffle_tickets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RaffleId = table.Column<long>(type: "INTEGER", nullable: false),
                    Number = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    OrderId = table.Column<long>(type: "INTEGER", nullable: true),
                    HeldUntil = table.Column<DateTime>(type: "TEXT", nullable: true),
                    SoldAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_raffle_tickets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_raffle_tickets_raffles_RaffleId",
                        column: x => x.RaffleId,
                        principalTable: "raffles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_outbox_Channel_ExternalId",
                table: "outbox",
                columns: new[] { "Channel", "ExternalId" });

            migrationBuilder.CreateIndex(
                name: "IX_raffle_orders_live",
                table: "raffle_orders",
                columns: new[] { "RaffleId", "UserId" },
                unique: true,
                filter: "\"Status\" IN ('DRAFT', 'PENDING_PAYMENT')");

            migrationBuilder.CreateIndex(
                name: "IX_raffle_orders_RaffleId_Status",
                table: "raffle_orders",
                columns: new[] { "RaffleId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_raffle_orders_Status_ExpiresAt",
                table: "raffle_orders",
                columns: new[] { "Status", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_raffle_orders_UserId_Id",
                table: "raffle_orders",
                columns: new[] { "UserId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_raffle_tickets_OrderId",
                table: "raffle_tickets",
                column: "OrderId");

            migrationBuilder.CreateIndex(
                name: "IX_raffle_tickets_RaffleId_Number",
                table: "raffle_tickets",
                columns: new[] { "RaffleId", "Number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_raffle_tickets_RaffleId_Status",
                table: "raffle_tickets",
                columns: new[] { "RaffleId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_raffles_Status",
                table: "raffles",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_whatsapp_message_ids_ReceivedAt",
                table: "whatsapp_message_ids",
                column: "ReceivedAt");

            migrationBuilder.CreateIndex(
                name: "IX_whatsapp_message_ids_WaMessageId",
                table: "whatsapp_message_ids",
                column: "WaMessageId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "raffle_orders");

            migrationBuilder.DropTable(
                name: "raffle_tickets");

            migrationBuilder.DropTable(
                name: "whatsapp_message_ids");

            migrationBuilder.DropTable(
                name: "raffles");

            migrationBuilder.DropIndex(
                name: "IX_outbox_Channel_ExternalId",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "DeliveryStatus",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "DeliveryUpdatedAt",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "ExternalId",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "Template",
                table: "outbox");
        }
    }
}
