#!/usr/bin/python3
"""Article search latency (issue 6): 10,000 published articles in 5 locales (en, ru, uk, es,
id; 2,000 each), then GET /api/v1/articles/search?q=&locale= with 1-3 word queries, a fifth
of them with a typo (typo tolerance on), through a real server on loopback.

English articles are built from the bitext customer-support answers; the other locales from
word lists of that language (synthetic text, real words, so the stemmers and the vocabulary
size are exercised). Latency is the server's own request duration (dur_ms in its log, the
time from the request to the response being queued) and the client's round trip.

Usage: bench/kb_search.py [--bin build/switchboard] [--articles 10000] [--queries 3000] [--runs 3]
"""
import argparse
import csv
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")

WORDS = {
    "ru": "заказ доставка оплата возврат счёт аккаунт пароль адрес карта подписка отмена платёж курьер посылка "
          "товар магазин скидка купон корзина профиль настройки уведомление письмо телефон менеджер поддержка "
          "проблема ошибка вход регистрация изменить отменить получить оплатить вернуть проверить удалить "
          "создать восстановить отследить отправить быстро сегодня завтра неделя срок стоимость условия "
          "документ квитанция банк перевод наличные гарантия ремонт обмен размер цвет".split(),
    "uk": "замовлення доставка оплата повернення рахунок обліковий пароль адреса картка підписка скасування "
          "платіж кур'єр посилка товар магазин знижка купон кошик профіль налаштування сповіщення лист телефон "
          "менеджер підтримка проблема помилка вхід реєстрація змінити скасувати отримати оплатити повернути "
          "перевірити видалити створити відновити відстежити надіслати швидко сьогодні завтра тиждень термін "
          "вартість умови документ квитанція банк переказ готівка гарантія ремонт обмін розмір колір".split(),
    "es": "pedido envío pago reembolso factura cuenta contraseña dirección tarjeta suscripción cancelación "
          "mensajero paquete producto tienda descuento cupón carrito perfil configuración notificación correo "
          "teléfono gerente soporte problema error acceso registro cambiar cancelar recibir pagar devolver "
          "comprobar eliminar crear recuperar rastrear enviar rápido hoy mañana semana plazo costo condiciones "
          "documento recibo banco transferencia efectivo garantía reparación cambio talla color".split(),
    "id": "pesanan pengiriman pembayaran pengembalian faktur akun kata sandi alamat kartu langganan pembatalan "
          "kurir paket produk toko diskon kupon keranjang profil pengaturan pemberitahuan surel telepon manajer "
          "dukungan masalah kesalahan masuk pendaftaran mengubah membatalkan menerima membayar mengembalikan "
          "memeriksa menghapus membuat memulihkan melacak mengirim cepat hari besok minggu batas biaya syarat "
          "dokumen kuitansi bank transfer tunai garansi perbaikan penukaran ukuran warna".split(),
}


def english_texts():
    rows = csv.DictReader(open(os.path.join(DATA, "intent-bitext-customer-support", "train.csv"), encoding="utf-8"))
    return [re.sub(r"\{\{[^}]*\}\}", "", r["response"]) for r in rows if r["response"].strip()]


def typo(word, rng):
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:]  # one deletion


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "switchboard"))
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--queries", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep-data", action="store_true", help="keep the data directory")
    ap.add_argument("--keep", help="copy the server log here (to find slow queries)")
    args = ap.parse_args()
    rng = random.Random(7)
    tmp = tempfile.mkdtemp(prefix="sb-kbsearch-")
    data = os.path.join(tmp, "data")
    binary = args.bin
    subprocess.run([binary, "user", "add", "--data", data, "--email", "b@example.com", "--name", "B", "--role",
                    "admin"], check=True, capture_output=True)
    token = subprocess.run([binary, "token", "create", "--data", data, "--email", "b@example.com"], check=True,
                           capture_output=True, text=True).stdout.strip()
    port = 19000 + os.getpid() % 1000
    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}"], stdout=log,
                            stderr=log)
    s = requests.Session()
    s.trust_env = False
    s.headers["Authorization"] = f"Bearer {token}"
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if s.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        s.put(base + "/api/v1/help-center/settings",
              json={"locales": ["en", "ru", "uk", "es", "id"], "default_locale": "en"}).raise_for_status()
        en = english_texts()
        locales = ["en", "ru", "uk", "es", "id"]
        vocab = {l: set() for l in locales}
        t0 = time.monotonic()
        for i in range(args.articles):
            loc = locales[i % 5]
            if loc == "en":
                body = "\n\n".join(rng.sample(en, 3))
                words = re.findall(r"[a-z]{4,}", body.lower())
            else:
                words = [rng.choice(WORDS[loc]) for _ in range(rng.randrange(80, 250))]
                body = " ".join(words)
            title = " ".join(rng.sample(words, min(5, len(words)))).capitalize()
            vocab[loc].update(w for w in words if len(w) >= 4)
            s.post(base + "/api/v1/articles", json={
                "title": title, "body_markdown": body, "locale": loc, "visibility": "public" if i % 10 else "internal",
                "category": f"Category {i % 12}", "status": "published"}).raise_for_status()
        load_s = time.monotonic() - t0
        vocab = {l: sorted(v) for l, v in vocab.items()}
        anon = requests.Session()
        anon.trust_env = False
        results = []
        slow = []
        for run in range(args.runs):
            log.flush()
            mark = os.path.getsize(os.path.join(tmp, "server.log"))
            client = []
            for q in range(args.queries):
                loc = locales[q % 5]
                words = [rng.choice(vocab[loc]) for _ in range(rng.randrange(1, 4))]
                if q % 5 == 0:
                    words[-1] = typo(words[-1], rng)
                sess = anon if q % 20 == 0 else s  # 5% anonymous (rate-limited), the rest as an agent
                t = time.perf_counter()
                r = sess.get(base + "/api/v1/articles/search", params={"q": " ".join(words), "locale": loc})
                client.append((time.perf_counter() - t) * 1000)
                slow.append((client[-1], loc, " ".join(words), len(r.json()["items"])))
                r.raise_for_status()
            time.sleep(0.2)
            with open(os.path.join(tmp, "server.log")) as f:
                f.seek(mark)
                server = [float(m.group(1)) for line in f if 'route="/api/v1/articles/search"' in line
                          for m in [re.search(r"dur_ms=([0-9.]+)", line)] if m]
            def pct(xs, p):
                xs = sorted(xs)
                return xs[min(len(xs) - 1, int(len(xs) * p))]
            results.append((pct(server, 0.5), pct(server, 0.99), pct(client, 0.5), pct(client, 0.99), len(server)))
            print(f"run {run + 1}: server p50 {results[-1][0]:.2f} ms p99 {results[-1][1]:.2f} ms | "
                  f"client p50 {results[-1][2]:.2f} ms p99 {results[-1][3]:.2f} ms ({results[-1][4]} queries)")
        print(f"loaded {args.articles} articles in {load_s:.1f} s; database "
              f"{os.path.getsize(os.path.join(data, 'switchboard.db')) / 1e6:.1f} MB")
        if args.keep:
            for row in sorted(slow, reverse=True)[:30]:
                print("slow: %.1f ms %s %r (%d results)" % row)
        print("median of runs: server p50 %.2f ms, server p99 %.2f ms, client p99 %.2f ms" % (
            statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            statistics.median(r[3] for r in results)))
    finally:
        proc.terminate()
        proc.wait()
        log.close()
        if args.keep:
            shutil.copy(os.path.join(tmp, "server.log"), args.keep)
        if args.keep_data:
            print("data kept in", data)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
