#!/usr/bin/env python3
"""OIDC bearer tokens and TLS for lai serve, with PyJWT and cryptography as the identity provider and CA.

  test_oidc_tls.py gen DIR          writes DIR/jwks.json, DIR/tokens.json, DIR/cert.pem, DIR/key.pem
  test_oidc_tls.py check URL DIR    checks a server started with --oidc-issuer https://idp.test --oidc-audience lai
                                    --oidc-jwks DIR/jwks.json --tls-cert DIR/cert.pem --tls-key DIR/key.pem
"""
import datetime, json, os, ssl, sys, time, traceback
import http.client
from urllib.parse import urlsplit

ISSUER, AUDIENCE = "https://idp.test", "lai"


def gen(d):
    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "k1", "alg": "ES256", "use": "sig"})
    json.dump({"keys": [jwk]}, open(os.path.join(d, "jwks.json"), "w"))
    now = int(time.time())

    def token(signer=key, **claims):
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now + 3600, "iat": now}
        body.update(claims)
        return jwt.encode(body, signer, algorithm="ES256", headers={"kid": "k1"})

    tokens = {
        "valid": token(scope="read infer", email="ann@example.com"),
        "admin": token(scope="openid lai:admin read", sub="ops"),
        "expired": token(exp=now - 60),
        "wrong_audience": token(aud="someone-else"),
        "wrong_issuer": token(iss="https://evil.test"),
        "bad_signature": token(signer=other),
    }
    json.dump(tokens, open(os.path.join(d, "tokens.json"), "w"))
    tls_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    import ipaddress
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(tls_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5))
            .not_valid_after(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(tls_key, hashes.SHA256()))
    open(os.path.join(d, "cert.pem"), "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(os.path.join(d, "key.pem"), "wb").write(tls_key.private_bytes(serialization.Encoding.PEM,
                                                                       serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def check(url, d):
    tokens = json.load(open(os.path.join(d, "tokens.json")))
    ctx = ssl.create_default_context(cafile=os.path.join(d, "cert.pem"))
    u = urlsplit(url)
    failures = []

    def get(path, token=None):
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
        c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        r = c.getresponse()
        body = r.read()
        return r.status, json.loads(body) if body.startswith(b"{") else body

    def case(name, fn):
        try:
            fn()
            print("ok", name)
        except Exception as e:  # noqa: BLE001
            failures.append(name)
            print("FAIL", name, "-", repr(e))
            traceback.print_exc(limit=2)

    def valid():
        s, b = get("/api/tags", tokens["valid"])
        assert s == 200 and "models" in b, (s, b)

    def rejected():
        assert get("/api/tags")[0] == 401
        for k, word in [("expired", "expired"), ("wrong_audience", "audience"), ("wrong_issuer", "issuer"), ("bad_signature", "signature")]:
            s, b = get("/api/tags", tokens[k])
            assert s == 401 and word in b["error"], (k, s, b)

    def scopes():
        assert get("/metrics", tokens["valid"])[0] == 403
        assert get("/metrics", tokens["admin"])[0] == 200

    def plain_http_refused():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            c.request("GET", "/health")
            r = c.getresponse()
            assert r.status != 200, r.status
        except (ConnectionError, http.client.HTTPException, OSError):
            pass

    def openai_client_over_https():
        import httpx, openai
        oa = openai.OpenAI(base_url=url + "/v1", api_key=tokens["valid"], max_retries=0,
                           http_client=httpx.Client(verify=ctx))
        r = oa.chat.completions.create(model=os.environ.get("LAI_CHAT_MODEL", "smollm2:135m"),
                                       messages=[{"role": "user", "content": "hi"}], max_tokens=3)
        assert r.usage.completion_tokens > 0

    for name, fn in [("valid_token", valid), ("bad_tokens_are_401", rejected), ("token_scopes", scopes),
                     ("plain_http_refused", plain_http_refused), ("openai_client_over_https", openai_client_over_https)]:
        case(name, fn)
    if failures:
        print(f"{len(failures)} failed: {', '.join(failures)}")
        sys.exit(1)
    print("all OIDC/TLS checks passed")


if sys.argv[1] == "gen":
    gen(sys.argv[2])
else:
    check(sys.argv[2], sys.argv[3])
