/*
 * Host-side unit tests of the board-side protocol code, against the same golden vectors as the
 * TypeScript codec (hardware/protocol-vectors.json, turned into vectors.h). Exits non-zero on the
 * first failed check, and prints "N passed, 0 failed" when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../protocol.h"
#include "vectors.h"

static int passed = 0;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fprintf(stderr, "\n");                                          \
      printf("%d passed, 1 failed\n", passed);                       \
      exit(1);                                                        \
    }                                                                 \
  } while (0)

static void test_crc(void) {
  const char *s = TV_CRC_CHECK_INPUT;
  CHECK(tp_crc16((const uint8_t *)s, strlen(s)) == TV_CRC_CHECK, "crc of the check string");
  passed++;
}

static void test_cobs(void) {
  size_t i;
  for (i = 0; i < TV_COBS_COUNT; i++) {
    const tv_cobs_t *v = &TV_COBS[i];
    uint8_t enc[600], dec[600];
    size_t n = tp_cobs_encode(v->decoded, v->decoded_len, enc);
    int m;
    CHECK(n == v->encoded_len && memcmp(enc, v->encoded, n) == 0, "cobs encode '%s'", v->name);
    m = tp_cobs_decode(v->encoded, v->encoded_len, dec, sizeof dec);
    CHECK(m == (int)v->decoded_len && memcmp(dec, v->decoded, (size_t)m) == 0, "cobs decode '%s'", v->name);
    passed++;
  }
  {
    const uint8_t bad1[] = {0x05, 0x11, 0x22}; /* code runs past the end */
    const uint8_t bad2[] = {0x03, 0x11, 0x00}; /* zero inside a block */
    uint8_t dec[16];
    CHECK(tp_cobs_decode(bad1, sizeof bad1, dec, sizeof dec) == -1, "truncated block rejected");
    CHECK(tp_cobs_decode(bad2, sizeof bad2, dec, sizeof dec) == -1, "zero inside a block rejected");
    passed++;
  }
}

static int feed(tp_rx_t *rx, const uint8_t *bytes, size_t n, tp_frame_t *frames, int max) {
  int got = 0;
  size_t i;
  tp_frame_t f;
  for (i = 0; i < n; i++) {
    if (tp_rx_push(rx, bytes[i], &f) && got < max) {
      frames[got] = f;
      got++;
    }
  }
  return got;
}

#define SAME(field) CHECK(a->field == b->field, "%s: field " #field, name)

static void same_pid(const char *name, const tp_pid_t *a, const tp_pid_t *b) {
  SAME(kp);
  SAME(ki);
  SAME(kd);
  SAME(integral_limit);
  SAME(deadband);
  SAME(output_limit);
}

static void check_host_message(const tv_frame_t *v, const tp_frame_t *f) {
  const char *name = v->name;
  switch (v->type) {
    case TP_MSG_IDENTIFY_REQUEST:
      CHECK(tp_decode_identify_request(f->payload, f->payload_len) == TP_OK, "%s", name);
      break;
    case TP_MSG_RESET:
      CHECK(tp_decode_reset(f->payload, f->payload_len) == TP_OK, "%s", name);
      break;
    case TP_MSG_COMMAND: {
      tp_command_t got;
      const tp_command_t *a = &got, *b = (const tp_command_t *)v->message;
      size_t i;
      CHECK(tp_decode_command(f->payload, f->payload_len, &got) == TP_OK, "%s", name);
      SAME(muscle_count);
      for (i = 0; i < b->muscle_count; i++) {
        SAME(muscles[i].mode);
        SAME(muscles[i].setpoint);
      }
      break;
    }
    case TP_MSG_CONFIG_BOARD: {
      tp_config_board_t got;
      const tp_config_board_t *a = &got, *b = (const tp_config_board_t *)v->message;
      CHECK(tp_decode_config_board(f->payload, f->payload_len, &got) == TP_OK, "%s", name);
      SAME(status_period_us);
      SAME(watchdog_ms);
      SAME(flags);
      break;
    }
    case TP_MSG_CONFIG_MUSCLE: {
      tp_config_muscle_t got;
      const tp_config_muscle_t *a = &got, *b = (const tp_config_muscle_t *)v->message;
      int k;
      CHECK(tp_decode_config_muscle(f->payload, f->payload_len, &got) == TP_OK, "%s", name);
      SAME(muscle);
      same_pid(name, &a->position, &b->position);
      same_pid(name, &a->velocity, &b->velocity);
      same_pid(name, &a->displacement, &b->displacement);
      SAME(pwm_limit);
      SAME(position_min);
      SAME(position_max);
      SAME(velocity_max);
      SAME(displacement_min);
      SAME(displacement_max);
      SAME(force_max_mn);
      SAME(current_limit);
      SAME(meters_per_count);
      for (k = 0; k < 4; k++) SAME(spring[k]);
      break;
    }
    case TP_MSG_HEARTBEAT: {
      tp_heartbeat_t got;
      const tp_heartbeat_t *a = &got, *b = (const tp_heartbeat_t *)v->message;
      CHECK(tp_decode_heartbeat(f->payload, f->payload_len, &got) == TP_OK, "%s", name);
      SAME(host_time_us);
      break;
    }
    case TP_MSG_ESTOP: {
      tp_estop_t got;
      const tp_estop_t *a = &got, *b = (const tp_estop_t *)v->message;
      CHECK(tp_decode_estop(f->payload, f->payload_len, &got) == TP_OK, "%s", name);
      SAME(engage);
      break;
    }
    default:
      CHECK(0, "%s: unknown host message type 0x%02x", name, v->type);
  }
}

static size_t encode_board_message(const tv_frame_t *v, uint8_t *payload) {
  switch (v->type) {
    case TP_MSG_IDENTIFY:
      return tp_encode_identify((const tp_identify_t *)v->message, payload);
    case TP_MSG_STATUS:
      return tp_encode_status((const tp_status_t *)v->message, payload);
    case TP_MSG_CONFIG_ACK:
      return tp_encode_config_ack((const tp_config_ack_t *)v->message, payload);
    case TP_MSG_HEARTBEAT_ECHO:
      return tp_encode_heartbeat_echo((const tp_heartbeat_echo_t *)v->message, payload);
    case TP_MSG_FAULT:
      return tp_encode_fault((const tp_fault_t *)v->message, payload);
    default:
      CHECK(0, "%s: unknown board message type 0x%02x", v->name, v->type);
  }
  return 0;
}

static void test_frames(void) {
  static tp_rx_t rx;
  size_t i;
  for (i = 0; i < TV_FRAME_COUNT; i++) {
    const tv_frame_t *v = &TV_FRAMES[i];
    tp_frame_t frames[2];
    const uint8_t garbage[] = {0x13, 0x37, 0xFF, 0x02};
    int got;
    tp_rx_init(&rx);
    /* Garbage first: the frame's leading delimiter resynchronizes the receiver. */
    got = feed(&rx, garbage, sizeof garbage, frames, 2);
    got += feed(&rx, v->wire, v->wire_len, frames, 2);
    CHECK(got == 1, "%s: one frame decoded after garbage, got %d", v->name, got);
    CHECK(frames[0].type == v->type && frames[0].board_id == v->board_id && frames[0].seq == v->seq, "%s: header", v->name);
    if (v->type & 0x80) {
      uint8_t payload[TP_MAX_PAYLOAD], wire[TP_MAX_WIRE_FRAME];
      size_t pn = encode_board_message(v, payload);
      size_t wn = tp_frame_encode(v->board_id, v->type, v->seq, payload, pn, wire);
      CHECK(pn == frames[0].payload_len, "%s: payload length %u, vector %u", v->name, (unsigned)pn, (unsigned)frames[0].payload_len);
      CHECK(wn == v->wire_len && memcmp(wire, v->wire, wn) == 0, "%s: encoded bytes equal the vector", v->name);
    } else {
      check_host_message(v, &frames[0]);
    }
    passed++;
  }
}

static uint32_t lcg = 12345u;
static uint8_t rnd(void) {
  lcg = lcg * 1664525u + 1013904223u;
  return (uint8_t)(lcg >> 24);
}

static void test_garbage_and_corruption(void) {
  static tp_rx_t rx;
  static uint8_t stream[TV_FRAME_COUNT * TP_MAX_WIRE_FRAME];
  tp_frame_t frames[TV_FRAME_COUNT + 4];
  size_t i, n = 0, trial;
  int got;
  /* Random bytes never crash the receiver, and a valid frame after them is decoded. */
  tp_rx_init(&rx);
  for (i = 0; i < 100000; i++) {
    tp_frame_t f;
    (void)tp_rx_push(&rx, rnd(), &f);
  }
  got = feed(&rx, TV_FRAMES[0].wire, TV_FRAMES[0].wire_len, frames, 1);
  CHECK(got == 1, "a frame after 100000 random bytes is decoded");
  passed++;
  /* One flipped bit anywhere in a stream of frames loses at most one frame. */
  for (i = 0; i < TV_FRAME_COUNT; i++) {
    memcpy(stream + n, TV_FRAMES[i].wire, TV_FRAMES[i].wire_len);
    n += TV_FRAMES[i].wire_len;
  }
  for (trial = 0; trial < 2000; trial++) {
    size_t at = (size_t)(((uint32_t)rnd() << 16 | (uint32_t)rnd() << 8 | rnd()) % n);
    uint8_t bit = (uint8_t)(1u << (rnd() % 8));
    stream[at] ^= bit;
    tp_rx_init(&rx);
    got = feed(&rx, stream, n, frames, TV_FRAME_COUNT + 4);
    stream[at] ^= bit;
    CHECK(got >= (int)TV_FRAME_COUNT - 1 && got <= (int)TV_FRAME_COUNT, "bit flip at %u: %d frames of %d", (unsigned)at, got, (int)TV_FRAME_COUNT);
  }
  passed++;
}

static void test_rejects(void) {
  tp_command_t c;
  tp_estop_t e;
  const uint8_t bad_mode[] = {1, 9, 0, 0, 0, 0};
  const uint8_t short_cmd[] = {2, 1, 0, 0, 0, 0};
  const uint8_t bad_estop[] = {2};
  const uint8_t bad_reset[] = {0x52, 0x53, 0x54, 0x22};
  CHECK(tp_decode_command(bad_mode, sizeof bad_mode, &c) == TP_ERR_VALUE, "unknown mode rejected");
  CHECK(tp_decode_command(short_cmd, sizeof short_cmd, &c) == TP_ERR_LENGTH, "count and length disagree");
  CHECK(tp_decode_estop(bad_estop, sizeof bad_estop, &e) == TP_ERR_VALUE, "estop value 2 rejected");
  CHECK(tp_decode_reset(bad_reset, sizeof bad_reset) == TP_ERR_VALUE, "reset without the magic rejected");
  passed++;
}

int main(void) {
  CHECK(TV_PROTOCOL_VERSION == TP_PROTOCOL_VERSION, "vectors are for protocol %d", TV_PROTOCOL_VERSION);
  test_crc();
  test_cobs();
  test_frames();
  test_garbage_and_corruption();
  test_rejects();
  printf("%d passed, 0 failed\n", passed);
  return 0;
}
