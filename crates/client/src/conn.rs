//! The byte stream to the server: TCP, TLS over TCP, or a remote command's pipes (ssh or
//! rsh pre-authentication), with the `/debug` trace.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{ClientError, strerror};
use crate::name::{RemoteName, TlsMode};
use crate::preauth::{self, Piped, PreauthCommand, PreauthKind};
use crate::session::ClientOptions;
use crate::tls::{self, TlsStream};

/// Whether the protocol trace goes to standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trace {
    /// No trace.
    Off,
    /// Each line sent and received, on standard error; passwords and SASL data hidden.
    Stderr,
}

/// Whether the link is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Plain TCP.
    Plain,
    /// TLS.
    Encrypted,
}

/// How the session reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// A TCP connection (with or without TLS).
    Tcp,
    /// The standard input and output of a remote command, ssh or rsh
    /// (`host -l user exec /etc/rimapd`).
    Command(PreauthKind),
}

#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
    /// A remote command; counted as unencrypted (rsh is, and the client cannot tell what
    /// ssh protects), and never upgraded with STARTTLS.
    Command(Box<Piped>, PreauthKind),
}

impl Stream {
    pub(crate) fn link(&self) -> Link {
        match self {
            Stream::Plain(_) | Stream::Command(..) => Link::Plain,
            Stream::Tls(_) => Link::Encrypted,
        }
    }

    pub(crate) fn route(&self) -> Route {
        match self {
            Stream::Plain(_) | Stream::Tls(_) => Route::Tcp,
            Stream::Command(_, kind) => Route::Command(*kind),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Command(s, _) => s.read(buf),
            Stream::Tls(s) => match s.read(buf) {
                // A server that closes without close_notify has still closed.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Command(s, _) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Command(s, _) => s.flush(),
        }
    }
}

/// Opens the connection `name` asks for, in FAQ 4.3's order: `/ssl` is TLS from the
/// first byte on the SSL port (or the port given) and fails otherwise; then, when the name
/// allows it (see [`preauth`]), ssh pre-authentication if configured; then `/tryssl`'s TLS
/// attempt on the SSL port, falling back unless the certificate was refused; then rsh
/// pre-authentication if configured; then plain TCP, STARTTLS coming later.
pub(crate) fn open(name: &RemoteName, options: &ClientOptions) -> Result<Stream, ClientError> {
    let roots = || tls::roots(options.ca_file.as_deref(), &options.trust_anchors);
    let host = name.host.as_str();
    if name.tls == TlsMode::Ssl {
        let tcp = tcp(host, name.effective_port(), options.timeout)?;
        return Ok(Stream::Tls(Box::new(tls::handshake(
            tcp,
            host,
            name.cert,
            roots(),
        )?)));
    }
    let remote = if preauth::allowed(name) {
        options.preauth.resolve()
    } else {
        preauth::Preauth::default()
    };
    let trace = options.trace_for(name);
    let command = |c: &Option<PreauthCommand>| {
        c.as_ref().and_then(|c| {
            preauth::try_command(c, name, options.timeout, trace)
                .map(|p| Stream::Command(Box::new(p), c.kind))
        })
    };
    if let Some(s) = command(&remote.ssh) {
        return Ok(s);
    }
    if name.tls == TlsMode::TrySsl {
        let ssl_port = name.port.unwrap_or(name.service.ssl_port());
        let tried = tcp(host, ssl_port, options.timeout)
            .and_then(|t| tls::handshake(t, host, name.cert, roots()));
        match tried {
            Ok(s) => return Ok(Stream::Tls(Box::new(s))),
            Err(e @ ClientError::Certificate { .. }) => return Err(e),
            Err(_) => {}
        }
    }
    if let Some(s) = command(&remote.rsh) {
        return Ok(s);
    }
    let plain_port = name.port.unwrap_or(name.service.plain_port());
    Ok(Stream::Plain(tcp(host, plain_port, options.timeout)?))
}

/// Opens TCP to `host` (a bracketed IP literal or a name) on `port`.
pub(crate) fn tcp(
    host: &str,
    port: u16,
    timeout: Option<Duration>,
) -> Result<TcpStream, ClientError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<_> = (bare, port)
        .to_socket_addrs()
        .map_err(|_| ClientError::NoSuchHost(host.to_owned()))?
        .collect();
    if addrs.is_empty() {
        return Err(ClientError::NoSuchHost(host.to_owned()));
    }
    let mut last = None;
    for a in &addrs {
        let r = match timeout {
            Some(t) => TcpStream::connect_timeout(a, t),
            None => TcpStream::connect(a),
        };
        match r {
            Ok(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)?;
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(ClientError::Connect {
        host: host.to_owned(),
        port,
        reason: last.map(|e| strerror(&e)).unwrap_or_default(),
    })
}

/// Puts TLS on the plain TCP connection in `slot` once the server has agreed to `command`
/// (STARTTLS or STLS). `buffered` counts the bytes read but not yet used: anything there
/// came before the handshake, where a man in the middle could have put it, and is refused.
pub(crate) fn start_tls(
    slot: &mut Option<Stream>,
    buffered: usize,
    command: &str,
    name: &RemoteName,
    options: &ClientOptions,
) -> Result<(), ClientError> {
    if buffered != 0 {
        return Err(ClientError::Protocol(
            "data injected before the TLS handshake".into(),
        ));
    }
    let Some(Stream::Plain(tcp)) = slot.take() else {
        return Err(ClientError::Protocol(format!("{command} on a TLS link")));
    };
    let roots = tls::roots(options.ca_file.as_deref(), &options.trust_anchors);
    *slot = Some(Stream::Tls(Box::new(tls::handshake(
        tcp,
        name.host.as_str(),
        name.cert,
        roots,
    )?)));
    Ok(())
}

/// The stream in `slot`, or the error of a closed connection.
pub(crate) fn opened(slot: &mut Option<Stream>) -> Result<&mut Stream, ClientError> {
    slot.as_mut()
        .ok_or_else(|| ClientError::Closed("connection closed".into()))
}

/// Reads what the server sent next on the stream in `slot` and gives it to `feed`. At the
/// end of the stream the slot is emptied and the answer is [`Received::End`].
pub(crate) fn receive(
    slot: &mut Option<Stream>,
    feed: impl FnOnce(&[u8]),
) -> Result<Received, ClientError> {
    let mut buf = [0u8; 16 * 1024];
    let n = opened(slot)?.read(&mut buf)?;
    if n == 0 {
        *slot = None;
        return Ok(Received::End);
    }
    feed(&buf[..n]);
    Ok(Received::Data)
}

/// What [`receive`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// Bytes, given to the reader.
    Data,
    /// The end of the stream: the server closed the connection.
    End,
}

/// Writes `text` to the trace, one line per line, with a direction mark.
pub(crate) fn trace(t: Trace, mark: &str, text: &str) {
    if t == Trace::Stderr {
        for line in text.trim_end_matches(['\r', '\n']).split("\r\n") {
            eprintln!("{mark} {line}");
        }
    }
}
