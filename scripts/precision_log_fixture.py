#!/usr/bin/env python3
"""Writes tests/data/logs/precision.log: a few real-looking Combined Log Format lines (shaped
after the public semicomplete.com log of elastic/examples) with a browser session loading
its stylesheets, fonts and images, another visitor, a one-off reader, a declared Googlebot and a
scanner sending SQL injection, shellshock, path traversal, XSS and sensitive-file probes.
Run from the repository root: python3 scripts/precision_log_fixture.py"""
ios='"Mozilla/5.0 (iPhone; CPU iPhone OS 8_3 like Mac OS X) AppleWebKit/600.1.4 (KHTML, like Gecko) Version/8.0 Mobile/12F70 Safari/600.1.4"'
ff='"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0"'
gb='"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"'
nikto='"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:%06d)"'
site='http://semicomplete.com'
pres='/presentations/logstash-monitorama-2013/'
L=[]
def line(ip,t,req,st,b,ref,ua): L.append((t,f'{ip} - - [17/May/2015:10:{t//60:02d}:{t%60:02d} +0000] "{req}" {st} {b} "{ref}" {ua}'))
# a browser session: two page views with their assets, referer of the site itself
ip='83.149.9.216'
line(ip,303,f'GET {pres} HTTP/1.1',200,7697,'http://www.google.com/',ios)
for k,(a,b) in enumerate([('css/print/paper.css',4877),('css/fonts/Roboto-Bold.ttf',38720),('css/fonts/Roboto-Regular.ttf',40472),('js/reveal.js',94124),('plugin/highlight/highlight.js',26185),('images/kibana-search.png',203023),('images/kibana-dashboard3.png',171717),('images/redis.png',171717),('images/sad-medic.png',430406),('images/frontend-response-codes.png',52878)]):
    line(ip,304+k,f'GET {pres}{a} HTTP/1.1',200 if k%4 else 304,b if k%4 else '-',site+pres,ios)
line(ip,390,'GET /blog/geekery/xvfb-firefox.html HTTP/1.1',200,10975,site+pres,ios)
for k,a in enumerate(['/reset.css','/style2.css','/images/jordan-80.png','/favicon.ico']):
    line(ip,391+k,f'GET {a} HTTP/1.1',200,1015+k,site+'/blog/geekery/xvfb-firefox.html',ios)
# another visitor, one page with assets
ip='24.236.252.67'
line(ip,420,'GET /blog/tags/firefox?flav=rss20 HTTP/1.1',200,14173,'-',ff)
line(ip,421,'GET /reset.css HTTP/1.1',304,'-',site+'/blog/tags/firefox?flav=rss20',ff)
line(ip,421,'GET /images/googledotcom.png HTTP/1.1',200,65748,site+'/blog/tags/firefox?flav=rss20',ff)
# a one-off reader
line('93.114.45.13',450,'GET /articles/dynamic-dns-with-dhcp/ HTTP/1.1',200,18848,'http://www.google.ro/url?sa=t&rct=j&q=&esrc=s','"Mozilla/5.0 (X11; Linux x86_64; rv:25.0) Gecko/20100101 Firefox/25.0"')
# a declared search-engine crawler: pages, no referer, no assets, minutes apart
for k,(p,b) in enumerate([('/blog/tags/ipv6',12251),('/projects/xdotool/',12292),('/blog/geekery/ssl-latency.html',17147),('/scripts/pdf2img.rb',1011),('/blog/tags/puppet?flav=rss20',14872),('/misc/Noto.xml',404)]):
    line('66.249.73.135',305+60*k,f'GET {p} HTTP/1.1',404 if b==404 else 200,b,'-',gb)
# a scanner with payloads
ip='203.0.113.66'
probes=[('GET /index.php?id=1%27%20UNION%20SELECT%20NULL,NULL--%20- HTTP/1.1',404,'-',nikto%1),
 ('GET /cgi-bin/test.cgi HTTP/1.1',404,'-','"() { :; }; echo; echo; /bin/bash -c \'cat /etc/passwd\'"'),
 ('GET /../../../../../../etc/passwd HTTP/1.1',400,'-',nikto%3),
 ('GET /.git/config HTTP/1.1',404,'-',nikto%4),
 ('GET /.env HTTP/1.1',404,'-',nikto%5),
 ('GET /search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E HTTP/1.1',404,'-',nikto%6),
 ('GET /login.php?user=admin%27%20or%20%271%27=%271 HTTP/1.1',404,'-',nikto%7),
 ('GET /wp-login.php HTTP/1.1',404,'-',nikto%8),
 ('GET /phpmyadmin/ HTTP/1.1',404,'-',nikto%9),
 ('GET /cgi-bin/php?-d+allow_url_include=on HTTP/1.1',404,'() { ignored; }; /bin/sleep 5',nikto%10),
 ('OPTIONS / HTTP/1.1',200,'-',nikto%11),
 ('GET /item?id=1%20AND%20SLEEP(5) HTTP/1.1',404,'-',nikto%12)]
for k,(r,st,ref,ua) in enumerate(probes):
    line(ip,500+k,r,st,209,ref,ua)
L.sort(key=lambda x:x[0])
open('tests/data/logs/precision.log','w').write(''.join(l+'\n' for _,l in L))
