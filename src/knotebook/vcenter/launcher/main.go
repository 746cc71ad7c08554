// knotebook-vcsim: serves govmomi's vCenter simulator (the VPX model) on one address.
//
// Debian's golang-github-vmware-govmomi-dev ships the simulator package but not upstream's
// vcsim command; knotebook builds this launcher from it. It prints one JSON line
// ({"url": ..., "username": ..., "password": ...}) when ready, and stops on SIGINT/SIGTERM
// or, with -stdin, when its stdin closes (the parent went away).
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("l", "127.0.0.1:0", "listen address")
	user := flag.String("username", "user", "login user name")
	pass := flag.String("password", "pass", "login password")
	watchStdin := flag.Bool("stdin", false, "exit when stdin reaches EOF")
	useTLS := flag.Bool("tls", true, "serve https (self-signed certificate), as vCenter does")
	model := simulator.VPX()
	flag.IntVar(&model.Datacenter, "dc", model.Datacenter, "datacenters")
	flag.IntVar(&model.Cluster, "cluster", model.Cluster, "clusters per datacenter")
	flag.IntVar(&model.ClusterHost, "host", model.ClusterHost, "hosts per cluster")
	flag.IntVar(&model.Host, "standalone-host", model.Host, "standalone hosts per datacenter")
	flag.IntVar(&model.Machine, "vm", model.Machine, "virtual machines per resource pool")
	flag.IntVar(&model.Datastore, "ds", model.Datastore, "datastores")
	flag.IntVar(&model.Portgroup, "pg", model.Portgroup, "distributed portgroups per datacenter")
	flag.Parse()
	log.SetFlags(0)
	log.SetOutput(ioutil.Discard) // the simulator logs every request otherwise

	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "knotebook-vcsim:", err)
		os.Exit(1)
	}
	defer model.Remove()
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *pass)}
	model.Service.RegisterEndpoints = true
	if *useTLS {
		model.Service.TLS = new(tls.Config)
	}
	server := model.Service.NewServer()
	defer server.Close()

	u := *server.URL
	u.User = nil
	ready, _ := json.Marshal(map[string]string{"url": u.String(), "username": *user, "password": *pass})
	fmt.Println(string(ready))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if *watchStdin {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}
	<-stop
}
