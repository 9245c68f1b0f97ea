/* tendon muscle-board protocol, version 1: the board side. See protocol.h. */
#include "protocol.h"

#include <string.h>

uint16_t tp_crc16(const uint8_t *data, size_t n) {
  uint16_t crc = 0xFFFFu;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    crc ^= (uint16_t)((uint16_t)data[i] << 8);
    for (k = 0; k < 8; k++) crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
  }
  return crc;
}

size_t tp_cobs_encode(const uint8_t *src, size_t n, uint8_t *dst) {
  size_t code_at = 0, w = 1, i;
  uint8_t code = 1;
  for (i = 0; i < n; i++) {
    if (src[i] == 0) {
      dst[code_at] = code;
      code_at = w++;
      code = 1;
    } else {
      dst[w++] = src[i];
      code++;
      if (code == 0xFFu) {
        dst[code_at] = code;
        if (i + 1 == n) return w; /* a full block at the very end needs no further code byte */
        code_at = w++;
        code = 1;
      }
    }
  }
  dst[code_at] = code;
  return w;
}

int tp_cobs_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap) {
  size_t r = 0, w = 0;
  while (r < n) {
    uint8_t code = src[r++];
    size_t end;
    if (code == 0) return -1;
    end = r + code - 1u;
    if (end > n || w + (code - 1u) > cap) return -1;
    while (r < end) {
      if (src[r] == 0) return -1;
      dst[w++] = src[r++];
    }
    if (code != 0xFFu && r < n) {
      if (w >= cap) return -1;
      dst[w++] = 0;
    }
  }
  return (int)w;
}

size_t tp_frame_encode(uint8_t board_id, uint8_t type, uint16_t seq, const uint8_t *payload, size_t payload_len, uint8_t *out) {
  uint8_t raw[TP_MAX_RAW_FRAME];
  size_t n;
  uint16_t crc;
  if (payload_len > TP_MAX_PAYLOAD) return 0;
  raw[0] = TP_PROTOCOL_VERSION;
  raw[1] = board_id;
  raw[2] = type;
  raw[3] = (uint8_t)(seq & 0xFFu);
  raw[4] = (uint8_t)(seq >> 8);
  if (payload_len > 0) memcpy(raw + TP_HEADER_SIZE, payload, payload_len);
  n = TP_HEADER_SIZE + payload_len;
  crc = tp_crc16(raw, n);
  raw[n] = (uint8_t)(crc & 0xFFu);
  raw[n + 1] = (uint8_t)(crc >> 8);
  out[0] = 0;
  n = tp_cobs_encode(raw, n + TP_CRC_SIZE, out + 1);
  out[n + 1] = 0;
  return n + 2;
}

void tp_rx_init(tp_rx_t *rx) { memset(rx, 0, sizeof *rx); }

static int rx_complete(tp_rx_t *rx, tp_frame_t *frame) {
  int n = tp_cobs_decode(rx->acc, rx->acc_len, rx->raw, sizeof rx->raw);
  uint16_t crc;
  if (n < 0) {
    rx->counters.cobs_errors++;
    return 0;
  }
  if ((size_t)n < TP_HEADER_SIZE + TP_CRC_SIZE) {
    rx->counters.too_short++;
    return 0;
  }
  crc = (uint16_t)(rx->raw[n - 2] | (rx->raw[n - 1] << 8));
  if (tp_crc16(rx->raw, (size_t)n - TP_CRC_SIZE) != crc) {
    rx->counters.crc_errors++;
    return 0;
  }
  if (rx->raw[0] != TP_PROTOCOL_VERSION) {
    rx->counters.version_errors++;
    return 0;
  }
  frame->version = rx->raw[0];
  frame->board_id = rx->raw[1];
  frame->type = rx->raw[2];
  frame->seq = (uint16_t)(rx->raw[3] | (rx->raw[4] << 8));
  frame->payload = rx->raw + TP_HEADER_SIZE;
  frame->payload_len = (size_t)n - TP_HEADER_SIZE - TP_CRC_SIZE;
  rx->counters.frames_ok++;
  return 1;
}

int tp_rx_push(tp_rx_t *rx, uint8_t byte, tp_frame_t *frame) {
  int got = 0;
  if (byte == 0) {
    if (rx->discarding) rx->discarding = 0;
    else if (rx->acc_len > 0) got = rx_complete(rx, frame);
    rx->acc_len = 0;
  } else if (!rx->discarding) {
    if (rx->acc_len < sizeof rx->acc) {
      rx->acc[rx->acc_len++] = byte;
    } else {
      rx->counters.too_long++;
      rx->discarding = 1;
      rx->acc_len = 0;
    }
  }
  return got;
}

/* Little-endian field access, independent of the CPU's byte order. */
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static int32_t get_i32(const uint8_t *p) {
  uint32_t u = get_u32(p);
  return (u & 0x80000000u) ? -(int32_t)(~u) - 1 : (int32_t)u;
}
static float get_f32(const uint8_t *p) {
  uint32_t u = get_u32(p);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static uint8_t *put_u8(uint8_t *p, uint8_t v) {
  p[0] = v;
  return p + 1;
}
static uint8_t *put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v & 0xFFu);
  p[1] = (uint8_t)(v >> 8);
  return p + 2;
}
static uint8_t *put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xFFu);
  p[1] = (uint8_t)((v >> 8) & 0xFFu);
  p[2] = (uint8_t)((v >> 16) & 0xFFu);
  p[3] = (uint8_t)(v >> 24);
  return p + 4;
}
static uint8_t *put_i32(uint8_t *p, int32_t v) { return put_u32(p, (uint32_t)v); }
static uint8_t *put_i16(uint8_t *p, int16_t v) { return put_u16(p, (uint16_t)v); }

int tp_decode_command(const uint8_t *p, size_t n, tp_command_t *out) {
  size_t i, count;
  if (n < 1) return TP_ERR_LENGTH;
  count = p[0];
  if (count < 1 || count > TP_MAX_MUSCLES || n != 1 + 5 * count) return TP_ERR_LENGTH;
  for (i = 0; i < count; i++)
    if (p[1 + 5 * i] >= TP_MODE_COUNT) return TP_ERR_VALUE;
  out->muscle_count = (uint8_t)count;
  for (i = 0; i < count; i++) {
    out->muscles[i].mode = p[1 + 5 * i];
    out->muscles[i].setpoint = get_i32(p + 2 + 5 * i);
  }
  return TP_OK;
}

int tp_decode_config_board(const uint8_t *p, size_t n, tp_config_board_t *out) {
  if (n != 7) return TP_ERR_LENGTH;
  out->status_period_us = get_u32(p);
  out->watchdog_ms = get_u16(p + 4);
  out->flags = p[6];
  return TP_OK;
}

static const uint8_t *get_pid(const uint8_t *p, tp_pid_t *g) {
  g->kp = get_f32(p);
  g->ki = get_f32(p + 4);
  g->kd = get_f32(p + 8);
  g->integral_limit = get_f32(p + 12);
  g->deadband = get_i32(p + 16);
  g->output_limit = get_u16(p + 20);
  return p + 22;
}

int tp_decode_config_muscle(const uint8_t *p, size_t n, tp_config_muscle_t *out) {
  int k;
  if (n != 115) return TP_ERR_LENGTH;
  out->muscle = p[0];
  p = get_pid(p + 1, &out->position);
  p = get_pid(p, &out->velocity);
  p = get_pid(p, &out->displacement);
  out->pwm_limit = get_u16(p);
  out->position_min = get_i32(p + 2);
  out->position_max = get_i32(p + 6);
  out->velocity_max = get_i32(p + 10);
  out->displacement_min = get_i32(p + 14);
  out->displacement_max = get_i32(p + 18);
  out->force_max_mn = get_i32(p + 22);
  out->current_limit = get_u16(p + 26);
  out->meters_per_count = get_f32(p + 28);
  for (k = 0; k < 4; k++) out->spring[k] = get_f32(p + 32 + 4 * k);
  return TP_OK;
}

int tp_decode_heartbeat(const uint8_t *p, size_t n, tp_heartbeat_t *out) {
  if (n != 4) return TP_ERR_LENGTH;
  out->host_time_us = get_u32(p);
  return TP_OK;
}

int tp_decode_estop(const uint8_t *p, size_t n, tp_estop_t *out) {
  if (n != 1) return TP_ERR_LENGTH;
  if (p[0] > 1) return TP_ERR_VALUE;
  out->engage = p[0];
  return TP_OK;
}

int tp_decode_reset(const uint8_t *p, size_t n) {
  if (n != 4) return TP_ERR_LENGTH;
  return get_u32(p) == TP_RESET_MAGIC ? TP_OK : TP_ERR_VALUE;
}

int tp_decode_identify_request(const uint8_t *p, size_t n) {
  (void)p;
  return n == 0 ? TP_OK : TP_ERR_LENGTH;
}

size_t tp_encode_identify(const tp_identify_t *m, uint8_t *p) {
  uint8_t *q = p;
  q = put_u8(q, m->fw_major);
  q = put_u8(q, m->fw_minor);
  q = put_u8(q, m->fw_patch);
  q = put_u8(q, m->protocol_version);
  q = put_u8(q, m->muscle_count);
  q = put_u8(q, m->joint_count);
  q = put_u16(q, m->capabilities);
  q = put_u8(q, m->reason);
  q = put_u32(q, m->uid);
  return (size_t)(q - p);
}

size_t tp_encode_status(const tp_status_t *m, uint8_t *p) {
  uint8_t *q = p;
  size_t i, nm = m->muscle_count > TP_MAX_MUSCLES ? TP_MAX_MUSCLES : m->muscle_count;
  size_t nj = m->joint_count > TP_MAX_JOINTS ? TP_MAX_JOINTS : m->joint_count;
  q = put_u32(q, m->board_time_us);
  q = put_u16(q, m->last_command_seq);
  q = put_u8(q, m->flags);
  q = put_u16(q, m->rx_errors);
  q = put_u8(q, (uint8_t)nm);
  q = put_u8(q, (uint8_t)nj);
  for (i = 0; i < nm; i++) {
    const tp_muscle_status_t *s = &m->muscles[i];
    q = put_i32(q, s->position);
    q = put_i32(q, s->velocity);
    q = put_i32(q, s->displacement);
    q = put_i32(q, s->force_mn);
    q = put_i16(q, s->current);
    q = put_i16(q, s->output);
    q = put_u8(q, s->mode);
    q = put_u8(q, s->faults);
  }
  for (i = 0; i < nj; i++) q = put_u16(q, m->joints[i]);
  return (size_t)(q - p);
}

size_t tp_encode_config_ack(const tp_config_ack_t *m, uint8_t *p) {
  uint8_t *q = p;
  q = put_u8(q, m->acked_type);
  q = put_u8(q, m->muscle);
  q = put_u16(q, m->acked_seq);
  q = put_u8(q, m->result);
  return (size_t)(q - p);
}

size_t tp_encode_heartbeat_echo(const tp_heartbeat_echo_t *m, uint8_t *p) {
  uint8_t *q = p;
  q = put_u32(q, m->host_time_us);
  q = put_u32(q, m->board_time_us);
  return (size_t)(q - p);
}

size_t tp_encode_fault(const tp_fault_t *m, uint8_t *p) {
  uint8_t *q = p;
  q = put_u8(q, m->muscle);
  q = put_u8(q, m->code);
  q = put_u8(q, m->faults);
  q = put_u32(q, m->board_time_us);
  q = put_i32(q, m->detail);
  return (size_t)(q - p);
}
