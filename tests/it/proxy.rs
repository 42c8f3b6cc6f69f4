//! A TCP proxy in front of PostgreSQL that a test can cut: every live
//! connection through it is closed and its port stops listening (new
//! connections are refused, as by a server that is down) until it is
//! restored on the same port. What a worker sees of a database outage (a
//! restart, a lost network), without stopping the server the other tests
//! share.

use std::net::SocketAddr;

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

/// A running proxy.
pub struct Proxy {
    /// Its port on 127.0.0.1.
    pub port: u16,
    target: SocketAddr,
    cuts: watch::Sender<u64>,
    accepting: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts forwarding 127.0.0.1:`port` to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().unwrap().port();
        let (cuts, _) = watch::channel(0u64);
        let mut proxy = Proxy {
            port,
            target,
            cuts,
            accepting: None,
        };
        proxy.accept_on(listener);
        proxy
    }

    fn accept_on(&mut self, listener: TcpListener) {
        let (target, cuts) = (self.target, self.cuts.clone());
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(pipe(inbound, target, cuts.subscribe()));
            }
        }));
    }

    /// Closes every connection and stops listening: connections are refused.
    pub async fn cut(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
            let _ = accepting.await;
        }
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Listens on the same port again.
    pub async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the proxy's port is free again");
        self.accept_on(listener);
    }
}

async fn pipe(mut inbound: TcpStream, target: SocketAddr, mut cut: watch::Receiver<u64>) {
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = cut.changed() => {}
    }
}
